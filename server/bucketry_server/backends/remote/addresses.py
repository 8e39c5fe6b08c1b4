"""Every address the server contacts for an imported bucket, through the SSRF guard.

Besides ``endpoint_url`` (the S3 endpoint, the Azure account URL, the GCS API endpoint),
credentials name addresses too: a GCS service account key's ``token_uri`` (contacted on every
token refresh) and an Azure connection string's ``BlobEndpoint`` (or the account URL made of
its ``AccountName``/``EndpointSuffix``, or the emulator's for ``UseDevelopmentStorage``).
:func:`check_addresses` checks them all with :func:`...netguard.check_url` at import, at
``PATCH`` and when a client opens; Google's own token endpoints and Azure's own account hosts
are accepted without a lookup. Refusals are ``Invalid`` (400, ``invalid_endpoint``) naming the
field; no secret is echoed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from ...netguard import check_url

#: Token endpoints of Google's service account keys (no lookup needed).
GOOGLE_TOKEN_URIS = frozenset(
    {
        "https://oauth2.googleapis.com/token",
        "https://accounts.google.com/o/oauth2/token",
        "https://www.googleapis.com/oauth2/v4/token",
    }
)
_AZURE_HOST = re.compile(r"[a-z0-9]{3,24}\.blob\.core\.windows\.net\Z")


def credential_addresses(
    provider: str, credentials: Mapping[str, str], endpoint_url: str | None
) -> list[tuple[str, str]]:
    """``(field, url)`` of every address the ``credentials`` make the server contact (not
    ``endpoint_url`` itself, but the Azure account URL derived when it is missing). Unparsable
    credentials name none (the client refuses them when it opens)."""
    if provider == "GCS":
        return _gcs_addresses(credentials)
    if provider == "AZURE_BLOB":
        return _azure_addresses(credentials, endpoint_url)
    return []


def _gcs_addresses(credentials: Mapping[str, str]) -> list[tuple[str, str]]:
    raw = credentials.get("service_account_json")
    if not raw:
        return []
    try:
        info = json.loads(raw)
    except ValueError:
        return []
    uri = info.get("token_uri") if isinstance(info, dict) else None
    if not isinstance(uri, str):
        return []
    return [("credentials.service_account_json.token_uri", uri)]


def _azure_addresses(
    credentials: Mapping[str, str], endpoint_url: str | None
) -> list[tuple[str, str]]:
    conn = credentials.get("connection_string")
    if conn:
        from azure.storage.blob import ContainerClient

        try:
            client = ContainerClient.from_connection_string(conn, "bucketry-check")
        except Exception:  # the client refuses it with a clear reason when it opens
            return []
        # Only the primary is contacted (the retry policy never goes to a secondary).
        return [("credentials.connection_string", f"{client.scheme}://{client.primary_hostname}")]
    account = credentials.get("account_name")
    if account and not endpoint_url:
        return [("credentials.account_name", f"https://{account}.blob.core.windows.net")]
    return []


def _well_known(url: str) -> bool:
    if url in GOOGLE_TOKEN_URIS:
        return True
    parts = urlsplit(url)
    return (
        parts.scheme == "https"
        and bool(_AZURE_HOST.match(parts.hostname or ""))
        and (parts.port in (None, 443))
    )


def check_addresses(
    provider: str,
    credentials: Mapping[str, str],
    endpoint_url: str | None,
    allowed: Sequence[str],
    *,
    endpoint: bool = True,
) -> None:
    """Check ``endpoint_url`` (unless ``endpoint`` is False: already checked) and every
    :func:`credential_addresses` through the SSRF guard. Raises ``Invalid``
    (``invalid_endpoint``) naming the field of the first refused address."""
    if endpoint and endpoint_url:
        check_url(endpoint_url, allowed)
    for field, url in credential_addresses(provider, credentials, endpoint_url):
        if not _well_known(url):
            check_url(url, allowed, field=field)
