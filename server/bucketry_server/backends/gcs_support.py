"""For :mod:`.gcs`: google-cloud-storage's exceptions as the provider errors of
:mod:`.remote.client` (messages built here, never the library's text, which names URLs; the
caller does not chain the library's exception), and write conditions as generation
preconditions."""

from __future__ import annotations

from typing import Any

import requests.exceptions
from google.api_core import exceptions as gexc
from google.auth.exceptions import RefreshError, TransportError
from google.cloud.storage.exceptions import DataCorruption

from ..crc32c import to_wire
from .remote.client import (
    ProviderBadChecksum,
    ProviderConditionFailed,
    ProviderError,
    ProviderFailed,
    ProviderForbidden,
    ProviderNotFound,
    ProviderTimeout,
    ProviderUnreachable,
    ProviderVersionChanged,
    WriteCondition,
)

_UNREACHABLE = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    TransportError,
    gexc.RetryError,
    gexc.GatewayTimeout,
)


def translate(exc: BaseException, where: str, *, conditional: bool = False) -> ProviderError:
    """The provider error of a library exception about ``where`` (e.g. ``GCS bucket/key``);
    ``conditional``: the request carried a write condition (``ifGenerationMatch``), so a 412
    is :class:`ProviderConditionFailed`, not a changed version. A CRC32C refusal (GCS's 400,
    or the library's own check of a resumable upload) is :class:`ProviderBadChecksum`."""
    if isinstance(exc, gexc.NotFound):
        return ProviderNotFound(f"{where}: not found")
    if conditional and isinstance(exc, gexc.PreconditionFailed):
        return ProviderConditionFailed(f"{where}: the generation precondition does not hold")
    if isinstance(exc, DataCorruption) or (
        isinstance(exc, gexc.BadRequest) and "crc32c" in str(exc).lower()
    ):
        return ProviderBadChecksum(f"{where}: the CRC32C does not match")
    if isinstance(exc, gexc.Forbidden | gexc.Unauthorized | RefreshError):
        return ProviderForbidden(f"{where}: access denied ({type(exc).__name__})")
    if isinstance(exc, gexc.PreconditionFailed):
        return ProviderVersionChanged(f"{where}: the object changed")
    if isinstance(exc, requests.exceptions.Timeout | gexc.GatewayTimeout):
        return ProviderTimeout(
            f"{where}: the endpoint did not answer in time ({type(exc).__name__})"
        )
    if isinstance(exc, _UNREACHABLE):
        return ProviderUnreachable(f"{where}: the endpoint did not answer ({type(exc).__name__})")
    if isinstance(exc, gexc.ServerError | gexc.TooManyRequests):
        return ProviderFailed(
            f"{where}: the provider failed: HTTP {exc.code} ({type(exc).__name__})"
        )
    if isinstance(exc, gexc.GoogleAPICallError):
        return ProviderError(f"{where}: HTTP {exc.code} ({type(exc).__name__})")
    return ProviderError(f"{where}: {type(exc).__name__}")


def generation_match(condition: WriteCondition) -> int:
    """``ifGenerationMatch`` of ``condition``: 0 (absent) or the etag's generation (-1, which
    no object has, for an etag that is not one)."""
    if condition.absent or condition.etag is None:
        return 0
    return int(condition.etag) if condition.etag.isdigit() else -1


def upload_checks(
    blob: Any, crc32c: int | None, condition: WriteCondition | None
) -> dict[str, Any]:
    """The upload keywords of a write of ``blob``: a declared ``crc32c`` set on the blob's
    metadata for GCS to check (and the library's own client-side pass off), ``condition`` as
    ``if_generation_match``."""
    checks: dict[str, Any] = {}
    if crc32c is not None:
        blob.crc32c = to_wire(crc32c)
        checks["checksum"] = None
    if condition is not None:
        checks["if_generation_match"] = generation_match(condition)
    return checks
