"""Retries at the transport level, so every call of the generated layer gets them.

- Retried: 408, 429, 500, 502, 503, 504 and connection failures, with exponential backoff and
  full jitter, honouring ``Retry-After`` (seconds or an HTTP date, capped).
- Never retried: 409, 412 or any other 4xx.
- Only idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) are retried, plus POST/PATCH that
  carry an ``Idempotency-Key``; a connection that was never established is safe for any method.
- A request whose body was streamed from a file or iterator cannot be replayed here; the
  transfer layer retries those at the part level instead.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

log = logging.getLogger("bucketry")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: ``max_retries`` after the first attempt,
    exponential backoff with jitter from ``backoff_base`` up to ``backoff_max`` seconds, and a
    server's ``Retry-After`` honoured up to ``retry_after_max`` seconds."""

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 60.0

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds before retry number ``attempt`` (0-based)."""
        if response is not None:
            hinted = retry_after_seconds(response)
            if hinted is not None:
                return min(hinted, self.retry_after_max)
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The delay a ``Retry-After`` header asks for (seconds or an HTTP date),
    ``None`` when absent or unreadable."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def replayable(request: httpx.Request) -> bool:
    """Whether the request's body can be sent again (it is in memory)."""
    return isinstance(request.stream, httpx.ByteStream)


def may_retry(request: httpx.Request) -> bool:
    """Whether a failed request may be sent again: a replayable body and an idempotent
    method, or an ``Idempotency-Key`` header."""
    if not replayable(request):
        return False
    return request.method in IDEMPOTENT_METHODS or IDEMPOTENCY_HEADER.lower() in request.headers


class RetryTransport(httpx.BaseTransport):
    """An httpx transport that retries: a failed connect for any replayable request, other
    connection errors and 408/429/500/502/503/504 answers for requests that ``may_retry``,
    waiting as the :class:`RetryPolicy` says."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self.policy = policy
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying as the policy allows; returns the last
        answer, or raises the last connection error."""
        attempt = 0
        while True:
            try:
                response = self._inner.handle_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing reached the server: safe to retry whatever the method.
                if attempt >= self.policy.max_retries or not replayable(request):
                    raise
                self._wait(request, attempt, f"{type(exc).__name__}", None)
            except httpx.TransportError as exc:
                if attempt >= self.policy.max_retries or not may_retry(request):
                    raise
                self._wait(request, attempt, f"{type(exc).__name__}", None)
            else:
                if (
                    response.status_code not in RETRY_STATUSES
                    or attempt >= self.policy.max_retries
                    or not may_retry(request)
                ):
                    return response
                response.read()
                response.close()
                self._wait(request, attempt, str(response.status_code), response)
            attempt += 1

    def _wait(
        self, request: httpx.Request, attempt: int, why: str, response: httpx.Response | None
    ) -> None:
        delay = self.policy.delay(attempt, response)
        log.info(
            "retrying %s %s after %s in %.2fs (retry %d of %d)",
            request.method,
            request.url.copy_with(query=None),
            why,
            delay,
            attempt + 1,
            self.policy.max_retries,
        )
        self._sleep(delay)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
