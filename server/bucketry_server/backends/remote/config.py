"""From a bucket row to the :class:`.client.ProviderConfig` its client needs (decrypting the
stored credentials with the server's key ring)."""

from __future__ import annotations

from ...errors import Invalid
from ...keyring import SealedUnreadable
from ...models import Bucket
from ...state import AppState
from .addresses import check_addresses
from .client import ProviderConfig

#: Bounded waits of every provider call the server makes for a request.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


def provider_config(state: AppState, bucket: Bucket) -> ProviderConfig:
    """The provider settings and decrypted credentials of an imported ``bucket``. Raises
    ``Invalid`` (``credentials_unreadable``) if the stored credentials cannot be decrypted
    with the server's key ring (the key that sealed them was removed). The listing lookahead
    is on only when this process is the server's single worker (a write through another
    worker could not clear what this one kept)."""
    credentials: dict[str, str] = {}
    if bucket.credentials_enc:
        try:
            credentials = state.keys.open(bucket.id, bucket.credentials_enc)
        except SealedUnreadable as exc:
            raise Invalid(
                "credentials_unreadable",
                f"bucket {bucket.name!r}: {exc}; set its credentials again",
            ) from None
    return ProviderConfig(
        provider=bucket.provider,
        bucket=bucket.provider_bucket or "",
        prefix=bucket.prefix or "",
        endpoint_url=bucket.endpoint_url,
        region=bucket.region,
        credentials=credentials,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        allowed_networks=tuple(state.settings.allowed_networks),
        lookahead=state.settings.effective_workers == 1,
    )


def checked_config(state: AppState, bucket: Bucket) -> ProviderConfig:
    """:func:`provider_config`, with every address the client will contact (endpoint, a GCS
    key's ``token_uri``, an Azure connection string's endpoint) through the SSRF guard.
    Provider modules call it when their client opens, never when the backend is built, so
    unreadable credentials fail that bucket's calls and not every listing of buckets. Raises
    ``Invalid`` (``credentials_unreadable``, ``invalid_endpoint``)."""
    config = provider_config(state, bucket)
    allowed = state.settings.allowed_networks
    check_addresses(config.provider, config.credentials, config.endpoint_url, allowed)
    return config
