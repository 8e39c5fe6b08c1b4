"""Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer streamed bodies).

- Request ids: accept a sane incoming ``X-Request-ID`` or mint one; echo it on every response.
- JSON bodies are capped so an oversized payload is refused (413) before it is parsed.
- JSON bodies holding text the server cannot store (lone surrogates) or nested too deep are
  refused (400 naming where) before any handler runs.
- Unhandled exceptions become a 500 problem without dropping the keep-alive connection.
- Request heads are bounded (header count and bytes): 431 beyond (the protocol layer,
  :mod:`.protocol`, enforces the same limits before a head is parsed whole).
- A request body that stops arriving is given up after an idle wait: 408 (a stalled client
  held its request, and what the write had taken, such as a spool, for ever).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import reset_request_id, set_request_id
from .ids import token_hex
from .jsontext import JsonProblem, find_problem
from .logredact import redact
from .problems import problem_body
from .protocol import MAX_HEAD_BYTES, MAX_HEADERS, head_refusal

log = logging.getLogger("bucketry_server")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _SANE_ID.match(incoming) else f"req_{token_hex(8)}"
        token = set_request_id(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_request_id(token)


class HeaderLimitMiddleware:
    """Answer 431 to a request with more than ``MAX_HEADERS`` header fields or a head larger
    than ``MAX_HEAD_BYTES`` (414 if its request target is most of it: :func:`head_refusal`),
    whatever HTTP server runs the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string", b""))
        size = target + sum(len(k) + len(v) + 4 for k, v in headers)
        if len(headers) > MAX_HEADERS:
            status, body = head_refusal(f"a request may have at most {MAX_HEADERS} header fields")
        elif size > MAX_HEAD_BYTES:
            status, body = head_refusal(f"the request head exceeds {MAX_HEAD_BYTES} bytes", target)
        else:
            await self.app(scope, receive, send)
            return
        response_headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})


class BodyTimeout(Exception):
    """The client sent no byte of the request body for the idle wait (not a domain error:
    nothing on the way up answers it but :class:`BodyTimeoutMiddleware`)."""


class BodyTimeoutMiddleware:
    """Wait at most ``seconds`` for each piece of a request body (0: no bound). A client that
    stops sending mid-body gets 408 ``body_timeout`` and the connection is closed; whatever
    read the body (a blob write, a part) sees :class:`BodyTimeout` raised by ``receive`` and
    cleans up as for a disconnect. Only waits for the client count: a body read ahead is
    handed over at once, and the wait for a disconnect after the body ended is unbounded."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        ended = started = False

        async def bounded_receive() -> Message:
            nonlocal ended
            if ended:
                return await receive()
            try:
                async with asyncio.timeout(self.seconds):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(f"no request body byte arrived for {self.seconds:g} s") from None
            ended = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except BodyTimeout as exc:
            if started:
                raise  # the answer is under way: the server cuts the connection
            log.info("gave up on a request body: %s", exc)
            await _send_problem(
                send,
                408,
                "body_timeout",
                f"{exc}; send the request again",
                scope.get("path"),
                close=True,
            )


class UnhandledErrorMiddleware:
    """Answer an exception no route handled with a 500 problem, and do not re-raise it.

    Starlette's own last-resort handler sends its 500 and then re-raises, so the server closes
    the connection and a client's next request on that pooled connection fails. Here the
    exception ends with the answer and the connection stays usable. Only if the response had
    already started (a broken stream) is it re-raised: the server must then cut the connection.
    Install it inside :class:`RequestIdMiddleware`, so the 500 carries the request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            path = scope.get("path", "")
            log.exception("unhandled error on %s %s", scope.get("method"), redact(path))
            body = json.dumps(
                problem_body(500, "internal_error", "unexpected server error", instance=path)
            ).encode()
            headers = [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})


class JsonBodyLimitMiddleware:
    """Refuse non-binary bodies above ``limit`` bytes (by Content-Length or while streaming)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        ctype = (_header(scope, b"content-type") or "").lower()
        if ctype.startswith(("application/octet-stream", "application/x-tar")) or _is_binary_upload(
            scope
        ):
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _send_413(send, self.limit)
            return
        seen = 0
        exceeded = False
        answered = False

        async def limited_receive() -> Message:
            # Past the limit the app sees the body end (and whatever it answers is replaced by
            # a 413 below): raising here would be turned into a 400 by the body parser.
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start" and not answered:
                answered = True
                await _send_413(send, self.limit)

        await self.app(scope, limited_receive, guarded_send)


class JsonTextMiddleware:
    """Refuse a JSON request body that parses but holds a string or key UTF-8 cannot carry
    (``"\\ud800"``), or nests deeper than any body of the API: 400 ``invalid_unicode`` /
    ``invalid_json`` naming the place, before the handler can store any of it. Bodies that are
    not JSON are left to the handlers. Runs inside :class:`JsonBodyLimitMiddleware`, so the
    body it reads whole is bounded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "PUT", "PATCH")
            or _is_binary_upload(scope)
            or not _json_typed(_header(scope, b"content-type"))
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = await _check_json(body) if body else None
        if problem is not None:
            code = "invalid_unicode" if problem.kind == "unicode" else "invalid_json"
            await _send_problem(send, 400, code, problem.detail, scope.get("path"))
            return
        replayed = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([replayed], receive), send)


def _json_typed(ctype: str | None) -> bool:
    """Whether FastAPI would parse a body of this Content-Type as JSON (none given counts)."""
    if not ctype:
        return True
    media = ctype.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def _check_json(body: bytes) -> JsonProblem | None:
    def check() -> JsonProblem | None:
        try:
            value = json.loads(body)
        except RecursionError:
            return JsonProblem("depth", "body: nested too deeply")
        except ValueError:  # not JSON (or not UTF-8): the handler's parser answers that
            return None
        return find_problem(value)

    if len(body) <= 64 * 1024:
        return check()
    return await run_in_threadpool(check)  # large bodies are parsed off the event loop


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that yields ``messages`` first, then whatever ``receive`` brings."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


# Blob bodies may carry their own media type as Content-Type (stored with the blob).
_BINARY_UPLOAD = re.compile(r"/(blob|signed/[^/]+|uploads/[^/]+/parts/[^/]+)$")


def _is_binary_upload(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if scope["method"] == "POST":  # tar batches limit their own size, whatever the Content-Type
        return path.endswith("/blobs/batch")
    return scope["method"] == "PUT" and _BINARY_UPLOAD.search(path) is not None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(
        problem_body(413, "payload_too_large", f"request body exceeds {limit} bytes")
    ).encode()
    headers: list[Any] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is not read
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_problem(
    send: Send, status: int, code: str, detail: str, instance: str | None, *, close: bool = False
) -> None:
    """A problem response from middleware (the body was read whole: the connection stays,
    unless ``close``)."""
    body = json.dumps(problem_body(status, code, detail, instance=instance)).encode()
    headers: list[Any] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
