"""Provider errors as domain errors, and running client calls in worker threads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

from ...errors import (
    BadGateway,
    Conflict,
    DomainError,
    Forbidden,
    GatewayTimeout,
    Invalid,
    NotFound,
    PreconditionFailed,
    TooLarge,
)
from ...storage.base import ChecksumMismatchError, TooLargeError
from .client import (
    ProviderBadChecksum,
    ProviderConditionFailed,
    ProviderError,
    ProviderFailed,
    ProviderForbidden,
    ProviderNotFound,
    ProviderTimeout,
    ProviderUnreachable,
    ProviderVersionChanged,
)

T = TypeVar("T")


def domain_error(exc: ProviderError) -> DomainError:
    """The domain error of a provider error (its message names provider and key, no secret):
    404 ``provider_not_found``, 403 ``provider_forbidden``, 504 ``provider_timeout``, 502
    ``provider_unreachable``, 502 ``provider_error`` (the provider failed on its side: 5xx or
    throttling, retried by the SDK), 412 ``precondition_failed`` (a conditional write found
    the key taken or changed), 400 ``checksum_mismatch`` (the provider refused the body's
    CRC32C), 409 ``version_changed`` / ``provider_error`` (any other refusal)."""
    detail = str(exc) or exc.__class__.__name__
    if isinstance(exc, ProviderNotFound):
        return NotFound("provider_not_found", detail)
    if isinstance(exc, ProviderForbidden):
        return Forbidden("provider_forbidden", detail)
    if isinstance(exc, ProviderTimeout):
        return GatewayTimeout("provider_timeout", f"the provider did not answer in time: {detail}")
    if isinstance(exc, ProviderUnreachable):
        return BadGateway("provider_unreachable", f"the provider could not be reached: {detail}")
    if isinstance(exc, ProviderFailed):
        return BadGateway("provider_error", f"the provider failed: {detail}")
    if isinstance(exc, ProviderConditionFailed):
        return PreconditionFailed(
            "precondition_failed", f"the provider refused the write: {detail}"
        )
    if isinstance(exc, ProviderBadChecksum):
        return Invalid("checksum_mismatch", f"the provider refused the body: {detail}")
    if isinstance(exc, ProviderVersionChanged):
        return Conflict("version_changed", detail)
    return Conflict("provider_error", detail)


async def run(call: Callable[[], T]) -> T:
    """``call()`` in a worker thread; provider errors become domain errors, checksum and size
    failures of a streamed write ``Invalid`` (``checksum_mismatch``) / ``TooLarge``."""
    try:
        return await anyio.to_thread.run_sync(call)
    except ProviderError as exc:
        raise domain_error(exc) from None
    except ChecksumMismatchError as exc:
        raise Invalid("checksum_mismatch", str(exc)) from exc
    except TooLargeError as exc:
        raise TooLarge("payload_too_large", str(exc)) from exc
