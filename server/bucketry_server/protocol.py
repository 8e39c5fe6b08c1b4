"""The HTTP/1.1 protocol the server runs: uvicorn's httptools protocol with bounded request heads.

httptools keeps every header of a request in memory until the head is complete, without any
limit: a single 32 MB header or 100,000 small ones were accepted. Here a head larger than
:data:`MAX_HEAD_BYTES` or with more than :data:`MAX_HEADERS` header fields is answered with
``431 Request Header Fields Too Large`` and the connection is closed, before it is parsed whole;
``414 URI Too Long`` instead when the request target (path and query) took more than
:data:`MAX_TARGET_SHARE` bytes of the refused head (:func:`head_refusal`). A head must also
arrive whole within :data:`HEAD_TIMEOUT` seconds of its first byte (or of the connection's
start): uvicorn arms no timer before a head is complete, so a client trickling a head, or
connecting and sending nothing, held its connection for ever; past it ``408 Request Timeout``
(or, when no byte came, a plain close).
(:class:`~.middleware.HeaderLimitMiddleware` applies the same limits to whatever server runs
the app, as a second line.)

Request bodies are read ahead up to :data:`BODY_READ_AHEAD` bytes per connection (uvicorn
pauses the socket at 64 KiB): a 5 MiB part then reaches the app in about five pieces instead of
twenty, and on a busy event loop each piece waits a turn of the loop.

Pass the class as ``uvicorn.Config(http=BoundedHttpToolsProtocol)``.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from .problems import problem_body

#: Bytes of a request head (request line and header fields).
MAX_HEAD_BYTES = 64 * 1024
#: Header fields of one request.
MAX_HEADERS = 100
#: A head refused for its size whose request target is longer than this is a 414, else a 431.
MAX_TARGET_SHARE = MAX_HEAD_BYTES // 2
#: Seconds a request head has to arrive whole, from its first byte or the connection's start.
HEAD_TIMEOUT = 30.0
#: Body bytes buffered per connection before the socket's reading pauses until the app takes
#: them (uvicorn's ``HIGH_WATER_LIMIT`` is 64 KiB). Under 50 concurrent clients a 5 MiB part
#: took half the time to arrive (scripts/bench/load.py); the memory bound stays one buffer of
#: this size (plus one socket read) per connection.
BODY_READ_AHEAD = 1024 * 1024


class BodyPieces:
    """A request body's buffered bytes as the socket's reads gave them, joined once when the
    app takes them (uvicorn's cycle calls ``bytes()`` on its buffer, then starts a new one).

    uvicorn buffers into a ``bytearray``: every read is copied into it (amortised, not
    quadratic), then ``bytes()`` copies the whole again. Here the reads are only referenced
    until the app takes them: one copy (the join) instead of two, none for a single read."""

    __slots__ = ("_pieces", "_size")

    def __init__(self, first: bytes | bytearray = b"") -> None:
        self._pieces: list[bytes] = [bytes(first)] if first else []
        self._size = len(first)

    def __iadd__(self, piece: bytes) -> BodyPieces:
        """Keep ``piece`` (no copy)."""
        if piece:
            self._pieces.append(piece)
            self._size += len(piece)
        return self

    def __len__(self) -> int:
        return self._size

    def __bytes__(self) -> bytes:
        """The bytes kept, as one ``bytes`` (the read itself when there is only one)."""
        if len(self._pieces) == 1:
            return self._pieces[0]
        return b"".join(self._pieces)


class _HeadRefused(Exception):
    """Raised inside a parser callback to stop parsing a head that is refused."""


def head_refusal(detail: str, target_bytes: int = 0) -> tuple[int, bytes]:
    """The status and problem+json body refusing an oversized request head: 414
    ``uri_too_long`` when its request target (path and query) is over
    :data:`MAX_TARGET_SHARE` bytes (most of the head), else 431 ``headers_too_large``.
    ``detail`` says which limit the head broke."""
    if target_bytes > MAX_TARGET_SHARE:
        detail += ", most of it the request target (path and query string)"
        return 414, json.dumps(problem_body(414, "uri_too_long", detail)).encode()
    return 431, json.dumps(problem_body(431, "headers_too_large", detail)).encode()


#: Seconds a client refused for the connection bound is asked to wait.
BUSY_RETRY_AFTER = 1


async def over_capacity(scope: Any, receive: Any, send: Any) -> None:
    """The answer to a request past the server's connection bound (uvicorn's
    ``limit_concurrency``): 503 ``busy`` as a problem, with ``Retry-After``, closing the
    connection (uvicorn's own answer is plain text)."""
    body = json.dumps(
        problem_body(
            503,
            "busy",
            "the server has as many connections as it takes; retry in a moment",
            instance=scope.get("path"),
        )
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(BUSY_RETRY_AFTER).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that refuses oversized request heads with a 431 (or a 414
    for an oversized request target) and slow ones with a 408 (:attr:`head_timeout`)."""

    #: Seconds a head has to arrive whole (:data:`HEAD_TIMEOUT`; a subclass may change it).
    head_timeout = HEAD_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_seen = False  # a byte of the current head arrived
        self._in_head = True  # between requests and until the head of the current one ends
        self._head_bytes = 0
        self._header_count = 0
        self._target_bytes = 0
        self._field_bytes = 0
        self._refusal: str | None = None
        self._refusal_target = 0  # the refused head's target bytes (0: not about its size)
        self._ended_here = False  # a request ended in the chunk being fed

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """A new connection: its first head must arrive within :attr:`head_timeout`."""
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection ended: no head is awaited any more."""
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed ``data`` to the parser; refuse the request once its head is too large."""
        if self._refusal is not None:
            return
        if self._in_head:
            self._head_seen = self._head_seen or bool(data)
            if self._head_timer is None:  # a head begins (after an answer, on a kept connection)
                self._arm_head_timer()
        self._ended_here = False
        super().data_received(data)
        # A chunk in which a request ended is not counted: most of it belongs to that request
        # (the next head, if it started there, is then counted from the following chunk on).
        if self._in_head and self._refusal is None and not self._ended_here:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(f"the request head exceeds {MAX_HEAD_BYTES} bytes")

    def on_message_begin(self) -> None:
        """A new request: its header count and sizes start at zero."""
        super().on_message_begin()
        self._header_count = self._target_bytes = self._field_bytes = 0

    def on_url(self, url: bytes) -> None:
        """Count the request target's bytes (the parser hands them over in pieces)."""
        self._target_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count the header; stops the parser (answered with a 431) past :data:`MAX_HEADERS`."""
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            self._stop(f"a request may have at most {MAX_HEADERS} header fields", 0)
        self._field_bytes += len(name) + len(value) + 4
        super().on_header(name, value)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        """Start the app for ``cycle``; a request uvicorn refused for the connection bound
        (``limit_concurrency``) gets :func:`over_capacity` instead of uvicorn's text answer."""
        super()._start_asgi_task(cycle, over_capacity if app is service_unavailable else app)

    def on_headers_complete(self) -> None:
        """The head ended: refused if its target and fields are over :data:`MAX_HEAD_BYTES`
        (a head that ends in the socket read which crosses the limit is not counted by
        :meth:`data_received`); body bytes do not count against the head limit."""
        if self._target_bytes + self._field_bytes > MAX_HEAD_BYTES:
            self._stop(f"the request head exceeds {MAX_HEAD_BYTES} bytes", self._target_bytes)
        self._in_head = self._head_seen = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        """Buffer body bytes for the app (uvicorn's code, with :data:`BODY_READ_AHEAD` as the
        point where reading pauses, and the bytes kept as :class:`BodyPieces`)."""
        if (
            self.parser.should_upgrade() and self._should_upgrade()
        ) or self.cycle.response_complete:
            return
        pieces: bytearray | BodyPieces = self.cycle.body
        if not isinstance(pieces, BodyPieces):  # uvicorn's new (empty) bytearray
            pieces = BodyPieces(pieces)
            self.cycle.body = pieces  # type: ignore[assignment]  # read by len() and bytes()
        pieces += body
        if len(pieces) > BODY_READ_AHEAD:
            self.flow.pause_reading()
        self.cycle.message_event.set()

    def on_message_complete(self) -> None:
        """The request ended: the next head starts being counted."""
        self._in_head = True
        self._head_bytes = 0
        self._ended_here = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn answers parser errors with this; a refusal from a callback becomes a 431
        (or a 414)."""
        if self._refusal is not None:
            self._send_refusal(*head_refusal(self._refusal, self._refusal_target))
        else:
            super().send_400_response(msg)

    def _stop(self, detail: str, target_bytes: int) -> None:
        """Refuse the head from inside a parser callback (the parser error it raises ends in
        :meth:`send_400_response`)."""
        self._refusal, self._refusal_target = detail, target_bytes
        raise _HeadRefused(detail)

    def _refuse(self, detail: str) -> None:
        self._refusal, self._refusal_target = detail, self._target_bytes
        self._send_refusal(*head_refusal(detail, self._target_bytes))

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        """No whole head within :attr:`head_timeout`: 408 if part of one came, else close."""
        self._head_timer = None
        if not self._in_head or self._refusal is not None or self.transport.is_closing():
            return
        if not self._head_seen:
            self.transport.close()
            return
        self._refusal = f"the request head did not arrive within {self.head_timeout:g} s"
        body = json.dumps(problem_body(408, "head_timeout", self._refusal)).encode()
        self._send_refusal(408, body)

    def _send_refusal(self, status: int, body: bytes) -> None:
        self.logger.warning("Refused a request head (%d): %s", status, self._refusal)
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()
            + b"content-type: application/problem+json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        self.transport.write(head + body)
        self.transport.close()
