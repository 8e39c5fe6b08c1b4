"""Domain errors: what went wrong, in terms of the domain, for any caller (a request handler,
a background operation, the CLI).

Every error carries a stable machine-readable ``code`` (the problem ``code`` of the API) and a
human ``detail`` that names what failed. The kind of error is the class; the HTTP app maps each
class to one status in one exception handler (``app``), so service code never deals in HTTP.
``errors`` (per-field details) and ``headers`` (hints such as ``Connection: close``) travel
along for the HTTP layer; other callers can ignore them.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every domain error. ``code`` is stable (clients branch on it); ``detail`` is
    for humans and names the bucket, key, parameter or operation concerned."""

    default_code = "error"

    def __init__(
        self,
        code: str | None = None,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})
        super().__init__(detail or self.code)


class Invalid(DomainError):
    """The input is malformed or not acceptable (a bad parameter, checksum, cursor...)."""

    default_code = "invalid_parameter"


class Unauthenticated(DomainError):
    """No, or no valid, credentials."""

    default_code = "unauthenticated"


class Forbidden(DomainError):
    """The caller may see the resource but not do this."""

    default_code = "forbidden"


class NotFound(DomainError):
    """No such resource, or one the caller may not see."""

    default_code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state (a taken name, a non-empty bucket)."""

    default_code = "conflict"


class PreconditionFailed(DomainError):
    """An ``If-Match`` / ``If-None-Match`` precondition did not hold."""

    default_code = "precondition_failed"


class TooLarge(DomainError):
    """A body, part, batch or archive is larger than allowed."""

    default_code = "payload_too_large"


class RangeNotSatisfiable(DomainError):
    """A byte range lies outside the blob."""

    default_code = "range_not_satisfiable"


class Unprocessable(DomainError):
    """A well-formed body whose values cannot be applied (a reserved name, a null field)."""

    default_code = "validation_error"


class BadGateway(DomainError):
    """A provider the server contacted for the request failed (unreachable, connection
    refused or dropped): the request itself was fine, a retry may succeed."""

    default_code = "bad_gateway"


class GatewayTimeout(DomainError):
    """A provider the server contacted for the request did not answer within the bounded
    wait: the request itself was fine, a retry may succeed."""

    default_code = "gateway_timeout"


class TooManyRequests(DomainError):
    """The caller is over a rate or a bound (e.g. active operations); ``headers`` may carry a
    ``Retry-After``."""

    default_code = "too_many_requests"


class Unavailable(DomainError):
    """The server could not get a shared resource for the request within its bounded wait
    (the database write lock, the spool budget): the request itself was fine, a retry after
    ``Retry-After`` seconds may succeed."""

    default_code = "busy"


class NotServed(DomainError):
    """An operation of the contract that this server does not serve yet."""

    default_code = "not_implemented"


def not_found(what: str = "resource") -> NotFound:
    """``NotFound`` saying ``"<what> not found"``."""
    return NotFound("not_found", f"{what} not found")


def forbidden(detail: str = "not allowed") -> Forbidden:
    """``Forbidden`` with code ``forbidden``."""
    return Forbidden("forbidden", detail)
