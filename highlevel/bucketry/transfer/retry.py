"""Retries for requests the transport cannot replay (streamed bodies, resumed downloads).

The same rule as ``bucketry._transport``: 408/429/5xx and connection failures are retried with
the client's backoff (honouring ``Retry-After``); any other error is final.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .._transport import RETRY_STATUSES
from ..errors import APIConnectionError, ApiError

if TYPE_CHECKING:
    from ..types import Session

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    """Whether an error is worth another attempt: a connection failure, or a 408, 429,
    500, 502, 503 or 504 answer."""
    if isinstance(exc, APIConnectionError):
        return True
    return isinstance(exc, ApiError) and exc.status_code in RETRY_STATUSES


def with_retries(client: Session, attempt_fn: Callable[[], T]) -> T:
    """Call ``attempt_fn`` until it succeeds, a final error, or the retries run out."""
    policy = client.retry_policy
    attempt = 0
    while True:
        try:
            return attempt_fn()
        except (APIConnectionError, ApiError) as exc:
            if attempt >= policy.max_retries or not is_retryable(exc):
                raise
            response = exc.response if isinstance(exc, ApiError) else None
            time.sleep(policy.delay(attempt, response))
            attempt += 1
