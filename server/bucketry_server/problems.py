"""RFC 9457 problem details: the one error shape of the API, and the HTTP status of each kind
of domain error (:mod:`.errors`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

from .context import current_request_id
from .errors import (
    BadGateway,
    Conflict,
    DomainError,
    Forbidden,
    GatewayTimeout,
    Invalid,
    NotFound,
    NotServed,
    PreconditionFailed,
    RangeNotSatisfiable,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)

#: The HTTP status of each kind of domain error (the one translation table).
STATUS: dict[type[DomainError], int] = {
    Invalid: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    TooLarge: 413,
    RangeNotSatisfiable: 416,
    Unprocessable: 422,
    TooManyRequests: 429,
    NotServed: 501,
    BadGateway: 502,
    Unavailable: 503,
    GatewayTimeout: 504,
}


def status_of(error: DomainError) -> int:
    """The HTTP status for ``error``: its class's (or nearest base class's) entry, else 400."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def problem_body(
    status: int,
    code: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": f"https://bucketry.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": current_request_id(),
    }
    if instance is not None:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    code: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, code, detail, errors, instance),
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )
