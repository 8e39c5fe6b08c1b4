"""One error hierarchy for the SDK.

Errors double as the builtin exceptions a Python programmer already catches: a missing blob is a
``FileNotFoundError``, a refused write a ``PermissionError``, a create-only write that lost the
race a ``FileExistsError``. Every API error carries the status, the problem details and the
request id (quote it when reporting a bug), and pickles cleanly across processes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx

from bucketry_api.errors import ApiError as _GeneratedApiError


class BucketryError(Exception):
    """Base of every error the SDK raises on purpose."""


class ConfigurationError(BucketryError, ValueError):
    """The client is missing a setting (URL, token) or got a bad one."""


class APIConnectionError(BucketryError, ConnectionError):
    """The server could not be reached (after retries)."""


class APITimeoutError(APIConnectionError, TimeoutError):
    """The server did not answer in time (after retries)."""


class IntegrityError(BucketryError):
    """Bytes received or stored do not match their checksum."""


class _ProblemFields:
    """``code`` and ``detail`` of an error's RFC 9457 ``problem`` (the server's words)."""

    problem: dict[str, Any]

    @property
    def code(self) -> str | None:
        """The problem's machine-readable ``code`` (e.g. ``"not_found"``), if any."""
        value = self.problem.get("code")
        return value if isinstance(value, str) else None

    @property
    def detail(self) -> str | None:
        """The problem's human-readable ``detail``, if any."""
        value = self.problem.get("detail")
        return value if isinstance(value, str) else None


class ApiError(_ProblemFields, BucketryError):
    """The server answered with a non-2xx status."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        problem: dict[str, Any] | None = None,
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code
        self.problem: dict[str, Any] = dict(problem or {})
        self.request_id = request_id
        self.response = response

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), str(self), self.status_code, self.problem, self.request_id),
        )


def _rebuild(
    cls: type[ApiError], message: str, status: int, problem: dict[str, Any], rid: str | None
) -> ApiError:
    return cls(message, status_code=status, problem=problem, request_id=rid)


class BadRequestError(ApiError, ValueError):
    """400: the request was malformed (also a ``ValueError``)."""

    status_code = 400


class AuthenticationError(ApiError, PermissionError):
    """401: no valid token (also a ``PermissionError``)."""

    status_code = 401


class PermissionDeniedError(ApiError, PermissionError):
    """403: the token may not do this (also a ``PermissionError``)."""

    status_code = 403


class NotFoundError(ApiError, FileNotFoundError):
    """404: no such bucket, blob, upload... (also a ``FileNotFoundError``)."""

    status_code = 404


class ConflictError(ApiError, FileExistsError):
    """409: the state forbids it, e.g. the name is taken (also a ``FileExistsError``)."""

    status_code = 409


class PreconditionFailedError(ApiError, FileExistsError):
    """412: ``If-Match``/``If-None-Match`` failed (also a ``FileExistsError``)."""

    status_code = 412


class PayloadTooLargeError(ApiError, ValueError):
    """413: the body is over a server limit (also a ``ValueError``)."""

    status_code = 413


class RangeNotSatisfiableError(ApiError, ValueError):
    """416: the range starts beyond the end (also a ``ValueError``)."""

    status_code = 416


class UnprocessableEntityError(ApiError, ValueError):
    """422: a parameter is invalid (also a ``ValueError``)."""

    status_code = 422


class RateLimitError(ApiError):
    """429: too many requests (retried first; see ``Retry-After``)."""

    status_code = 429


class ServerError(ApiError):
    """5xx: the server failed (retried first when the request can be replayed)."""

    status_code = 500


class BadGatewayError(ServerError):
    """502: the provider of an imported bucket failed (``provider_unreachable``); retried
    first, like every 5xx, when the request can be replayed."""

    status_code = 502


class GatewayTimeoutError(ServerError, TimeoutError):
    """504: the provider of an imported bucket did not answer in time
    (``provider_timeout``); retried first when the request can be replayed."""

    status_code = 504


class OperationError(BucketryError):
    """A server-side operation (``client.operations``) did not succeed. ``operation_id`` names
    it; ``operation`` is the :class:`~bucketry.Operation` as last seen (``None`` after
    unpickling)."""

    def __init__(self, message: str, *, operation_id: str, operation: Any = None) -> None:
        super().__init__(message)
        self.operation_id = operation_id
        self.operation = operation

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_operation, (type(self), str(self), self.operation_id, {}))


class OperationFailed(_ProblemFields, OperationError):
    """The operation ended FAILED; ``problem`` is the server's problem details (``code``,
    ``detail``, ``status``), e.g. ``code == "not_found"`` when its source vanished."""

    def __init__(
        self,
        message: str,
        *,
        operation_id: str,
        problem: dict[str, Any] | None = None,
        operation: Any = None,
    ) -> None:
        super().__init__(message, operation_id=operation_id, operation=operation)
        self.problem: dict[str, Any] = dict(problem or {})

    @property
    def status_code(self) -> int | None:
        """The HTTP status the server gives the failure (404, 403, 500...), if any."""
        value = self.problem.get("status")
        return value if isinstance(value, int) else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_operation,
            (type(self), str(self), self.operation_id, {"problem": self.problem}),
        )


class OperationCancelledError(OperationError):
    """The operation ended CANCELLED (someone called ``cancel()``, here or elsewhere)."""


class OperationTimeoutError(OperationError, TimeoutError):
    """``Operation.wait(timeout=...)`` gave up; the operation itself goes on (also a
    ``TimeoutError``): wait again, or ``cancel()`` it."""


def _rebuild_operation(
    cls: type[OperationError], message: str, operation_id: str, extra: dict[str, Any]
) -> OperationError:
    return cls(message, operation_id=operation_id, **extra)


_BY_STATUS: dict[int, type[ApiError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        PreconditionFailedError,
        PayloadTooLargeError,
        RangeNotSatisfiableError,
        UnprocessableEntityError,
        RateLimitError,
        BadGatewayError,
        GatewayTimeoutError,
    )
}


def error_class(status: int) -> type[ApiError]:
    """The ``ApiError`` subclass for an HTTP ``status``."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ApiError


def from_generated(exc: _GeneratedApiError) -> ApiError:
    """Translate the generated layer's error into the SDK's hierarchy. The message names what
    the request was about (``bkt://bucket/key``, ``bucket 'x'``, an upload, a credential...)
    and never is a bare status: an empty answer gets the status's reason phrase."""
    message = str(exc)
    if not exc.title and not exc.detail and not exc.text.strip():
        phrase = httpx.codes.get_reason_phrase(exc.status_code)
        if phrase:
            message = message.replace(str(exc.status_code), f"{exc.status_code} {phrase}", 1)
    subject = _subject(exc.response, about_bucket="bucket" in (exc.detail or "").lower())
    if subject:
        message = f"{subject}: {message}"
    return error_class(exc.status_code)(
        message,
        status_code=exc.status_code,
        problem=exc.problem,
        request_id=exc.request_id,
        response=exc.response,
    )


def about(exc: ApiError, subject: str) -> ApiError:
    """The same error (class, status, problem, request id) with a message that names
    ``subject`` instead of what the request URL showed: e.g. both blobs of a server-side copy,
    whose request names only the destination bucket."""
    message = str(exc)
    shown = _subject(exc.response, about_bucket="bucket" in (exc.detail or "").lower())
    if shown and message.startswith(shown + ": "):
        message = message[len(shown) + 2 :]
    return type(exc)(
        f"{subject}: {message}",
        status_code=exc.status_code,
        problem=exc.problem,
        request_id=exc.request_id,
        response=exc.response,
    )


def _request_of(response: httpx.Response | None) -> httpx.Request | None:
    if response is None:
        return None
    try:
        return response.request
    except RuntimeError:  # a response built without a request
        return None


def _subject(response: httpx.Response | None, *, about_bucket: bool = False) -> str | None:
    """What a request was about, from its URL: ``bkt://BUCKET/KEY`` for a blob, ``bucket
    'NAME'`` (also when the server says the problem is the bucket), ``upload ID of bucket
    'NAME'``, ``credential ID``...; ``None`` when unknown."""
    request = _request_of(response)
    if request is None:
        return None
    path = request.url.path
    if "/api/v1/" in path:
        path = path.split("/api/v1/", 1)[1]
    segments = [unquote(s) for s in path.strip("/").split("/")]
    if not segments or not segments[0]:
        return None
    head, rest = segments[0], segments[1:]
    if head == "signed":
        return "signed URL"
    if head != "buckets" or not rest or rest[0] in ("count", "import"):
        if head in ("credentials", "tokens", "projects", "assets", "connections", "operations"):
            return f"{head[:-1]} {rest[0]!r}" if rest else None
        return None
    bucket = rest[0]
    key = request.url.params.get("key")
    if key is not None and not about_bucket:
        return f"bkt://{bucket}/{key}"
    if len(rest) >= 3 and rest[1] == "uploads":
        return f"upload {rest[2]!r} of bucket {bucket!r}"
    return f"bucket {bucket!r}"


def from_response(response: httpx.Response) -> ApiError:
    """Build the SDK error for a raw non-2xx ``httpx.Response`` (its body read or not)."""
    return from_generated(_GeneratedApiError.from_response(_read(response)))


def _read(response: httpx.Response) -> httpx.Response:
    try:
        response.read()
    except httpx.HTTPError:
        pass
    return response


def _url_of(exc: httpx.TransportError) -> str:
    """The URL a transport error concerns (a signed URL's token is redacted)."""
    try:
        url = str(exc.request.url)
    except RuntimeError:
        return "the server"
    if "/signed/" in url:
        url = url.split("/signed/", 1)[0] + "/signed/<redacted>"
    return url


def from_transport(exc: httpx.TransportError) -> APIConnectionError:
    """The SDK error for a connection failure, naming the URL."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request to {_url_of(exc)} timed out: {exc}")
    return APIConnectionError(f"connection to {_url_of(exc)} failed: {exc}")
