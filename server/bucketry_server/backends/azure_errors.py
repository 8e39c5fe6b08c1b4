"""For :mod:`.azure_blob`: azure-core's exceptions as the provider errors of
:mod:`.remote.client` (messages built here, never the SDK's text, which may carry a URL with a
SAS signature; the caller does not chain the SDK's exception), and write conditions as Azure's
``If-None-Match``/``If-Match`` arguments."""

from __future__ import annotations

from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from .remote.client import (
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

#: Azure's answers to a write whose condition fails: 412 for If-Match, 409 for
#: If-None-Match: * on an existing blob.
_CONDITION_CODES = ("ConditionNotMet", "BlobAlreadyExists", "TargetConditionNotMet")


def failed(status: object, code: object) -> bool:
    """Whether an Azure answer is a failure on Azure's side: 5xx or throttling (429,
    ``ServerBusy``)."""
    return (isinstance(status, int) and (status >= 500 or status == 429)) or code in (
        "ServerBusy",
        "InternalError",
        "OperationTimedOut",
    )


def condition_args(condition: WriteCondition | None) -> dict[str, Any]:
    """``upload_blob`` / ``commit_block_list`` keywords of ``condition`` (none for None)."""
    if condition is None:
        return {}
    if condition.absent or condition.etag is None:
        return {"match_condition": MatchConditions.IfMissing}
    return {"etag": f'"{condition.etag}"', "match_condition": MatchConditions.IfNotModified}


def translate(exc: Exception, where: str, *, conditional: bool = False) -> ProviderError:
    """The provider error of an SDK exception about ``where`` (``Azure Blob container/key``);
    ``conditional``: the request carried a write condition, whose failure (412, or 409 for a
    blob that exists) is :class:`ProviderConditionFailed`."""
    code = getattr(exc, "error_code", None)
    status = getattr(exc, "status_code", None)
    if conditional and (
        isinstance(exc, ResourceModifiedError | ResourceExistsError)
        or status == 412
        or code in _CONDITION_CODES
    ):
        return ProviderConditionFailed(f"{where}: the precondition does not hold ({code})")
    if isinstance(exc, ResourceNotFoundError) or status == 404:
        return ProviderNotFound(f"{where}: not found ({code or 404})")
    if isinstance(exc, ClientAuthenticationError) or status in (401, 403):
        return ProviderForbidden(f"{where}: access denied ({code or status})")
    if isinstance(exc, ResourceModifiedError) or status == 412:
        return ProviderVersionChanged(f"{where}: the object changed")
    if isinstance(exc, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
        return ProviderTimeout(
            f"{where}: the endpoint did not answer in time ({type(exc).__name__})"
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return ProviderUnreachable(f"{where}: the endpoint did not answer ({type(exc).__name__})")
    if isinstance(exc, HttpResponseError) and failed(status, code):
        return ProviderFailed(f"{where}: the provider failed: HTTP {status} ({code})")
    if isinstance(exc, HttpResponseError):
        return ProviderError(f"{where}: HTTP {status} ({code})")
    return ProviderError(f"{where}: {type(exc).__name__}")
