"""Errors raised by the API functions and by the tag API classes (``ApiClient().<tag>.<op>()``).

Generated from scripts/templates/errors.py.jinja: do not edit.

The stock ``UnexpectedStatus`` is kept for the stock ``sync``/``asyncio`` functions.  The tag API
classes raise :class:`ApiError` subclasses on every non-2xx response instead:

* :class:`ClientError` for 4xx, :class:`ServerError` for 5xx (any 5xx, including non-standard
  codes such as 520), :class:`UnexpectedStatusError` for anything else (1xx, 3xx, >= 600).

Each carries ``status_code``, ``problem`` (the RFC 9457 problem details as a dict, ``{}`` when
the body is not a JSON object, e.g. an HTML page from a proxy), ``text`` (the raw body),
``request_id`` (``X-Request-ID`` header, else the problem's ``request_id``) and ``response``
(the ``httpx.Response``; dropped when the error is pickled).
"""

import json
from typing import Any

import httpx


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
        )


REQUEST_ID_HEADER = "X-Request-ID"
_MAX_MESSAGE_TEXT = 200


class ApiError(Exception):
    """A non-2xx response.  Base class of :class:`ClientError`, :class:`ServerError` and
    :class:`UnexpectedStatusError`; build one with :meth:`from_response`."""

    status_code: int
    problem: dict[str, Any]
    text: str
    request_id: str | None
    response: httpx.Response | None

    def __init__(
        self,
        status_code: int,
        *,
        problem: dict[str, Any] | None = None,
        text: str = "",
        request_id: str | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        self.status_code = status_code
        self.problem = dict(problem or {})
        self.text = text
        self.request_id = request_id
        self.response = response
        super().__init__(self._message())

    # -- RFC 9457 members (None when absent or not of the expected type) --------------------
    def _member(self, name: str) -> str | None:
        value = self.problem.get(name)
        return value if isinstance(value, str) else None

    @property
    def type(self) -> str | None:
        return self._member("type")

    @property
    def title(self) -> str | None:
        return self._member("title")

    @property
    def detail(self) -> str | None:
        return self._member("detail")

    @property
    def code(self) -> str | None:
        """The machine-readable error code (a Bucketry extension member)."""
        return self._member("code")

    def _message(self) -> str:
        parts = [str(self.status_code)]
        if self.title:
            parts.append(self.title)
        if self.detail:
            parts.append(f"- {self.detail}")
        if not self.title and not self.detail and self.text:
            text = " ".join(self.text.split())
            parts.append(text[:_MAX_MESSAGE_TEXT] + ("..." if len(text) > _MAX_MESSAGE_TEXT else ""))
        extra = [f"{k}={v}" for k, v in (("code", self.code), ("request_id", self.request_id)) if v]
        if extra:
            parts.append(f"({', '.join(extra)})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, problem={self.problem!r}, request_id={self.request_id!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (e.g. across processes); the httpx.Response is not.
        state = {"problem": self.problem, "text": self.text, "request_id": self.request_id, "response": None}
        return (type(self), (self.status_code,), state)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.args = (self._message(),)

    @staticmethod
    def class_for_status(status_code: int) -> "type[ApiError]":
        if 400 <= status_code <= 499:
            return ClientError
        if 500 <= status_code <= 599:
            return ServerError
        return UnexpectedStatusError

    @classmethod
    def from_response(cls, response: httpx.Response) -> "ApiError":
        """Build the error for a non-2xx response whose body has been read.  Never raises on odd
        bodies: invalid JSON, HTML pages, wrong charsets and empty bodies all give ``problem == {}``."""
        try:
            text = response.text
        except Exception:  # undecodable or unread body
            try:
                text = response.content.decode("utf-8", errors="replace")
            except Exception:
                text = ""
        problem: dict[str, Any] = {}
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if "json" in content_type or text.lstrip().startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                problem = parsed
        request_id = response.headers.get(REQUEST_ID_HEADER)
        if not request_id and isinstance(problem.get("request_id"), str):
            request_id = problem["request_id"]
        error_class = cls.class_for_status(response.status_code)
        if not issubclass(error_class, cls):  # e.g. ClientError.from_response(<500>)
            error_class = cls
        return error_class(
            response.status_code,
            problem=problem,
            text=text,
            request_id=request_id,
            response=response,
        )


class ClientError(ApiError):
    """A 4xx response."""


class ServerError(ApiError):
    """A 5xx response (including non-standard ones such as Cloudflare's 520)."""


class UnexpectedStatusError(ApiError):
    """A non-2xx response that is neither 4xx nor 5xx (1xx, 3xx, >= 600)."""


def is_success(status_code: int) -> bool:
    return 200 <= status_code <= 299


def raise_for_status(response: httpx.Response) -> None:
    """Raise the matching :class:`ApiError` if ``response`` is not 2xx.  A streamed response's
    body is read first (error bodies are small)."""
    if is_success(response.status_code):
        return
    try:
        response.read()
    except httpx.HTTPError:
        pass
    raise ApiError.from_response(response)


__all__ = [
    "REQUEST_ID_HEADER",
    "ApiError",
    "ClientError",
    "ServerError",
    "UnexpectedStatus",
    "UnexpectedStatusError",
    "is_success",
    "raise_for_status",
]
