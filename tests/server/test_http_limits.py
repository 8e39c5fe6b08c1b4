"""Request heads are bounded: too many or too large header fields get a 431, on raw sockets."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bucketry_server.middleware import HeaderLimitMiddleware
from bucketry_server.protocol import (
    BODY_READ_AHEAD,
    MAX_HEAD_BYTES,
    MAX_HEADERS,
    BodyPieces,
    BoundedHttpToolsProtocol,
)
from tests.support.live_server import LiveServer, free_port, live_server


def _port(server: LiveServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _answer(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_too_many_headers_is_a_431(server: LiveServer) -> None:
    lines = "".join(f"X-H{i}: v\r\n" for i in range(2000))
    request = f"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n{lines}\r\n".encode()
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=10) as sock:
        sock.sendall(request)
        status, body = _answer(_read_all(sock))
    assert status == 431 and body["code"] == "headers_too_large"
    assert str(MAX_HEADERS) in str(body["detail"])


def test_a_huge_header_is_a_431_before_it_is_read_whole(server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        answered = False
        while sent < 32 * 1024 * 1024:  # the old server took all 32 MB and answered 200
            try:
                sock.sendall(b"a" * 16384)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 16384
            if select.select([sock], [], [], 0.05 if sent > MAX_HEAD_BYTES else 0)[0]:
                answered = True
                break
        if not answered:
            sock.sendall(b"\r\n\r\n")
        raw = _read_all(sock)
    status, body = _answer(raw)
    assert status == 431 and body["code"] == "headers_too_large"
    assert sent <= 4 * MAX_HEAD_BYTES


def test_an_oversized_request_target_is_a_414_problem(server: LiveServer) -> None:
    """A query string over the head limit (as the fuzzer generated once) is a 414
    ``uri_too_long`` problem, the answer the contract documents for it, sent in pieces or in
    one chunk (which got uvicorn's plain-text 400: its URL parser takes at most 64 KiB)."""
    query = "&".join(f"asset_id_in=a{i:07d}" for i in range(5000))  # ~100 KiB
    for pieces in (1, 16):
        request = f"GET /api/v1/health?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=10) as sock:
            step = -(-len(request) // pieces)
            for at in range(0, len(request), step):
                try:
                    sock.sendall(request[at : at + step])
                except (BrokenPipeError, ConnectionResetError):
                    break
            status, body = _answer(_read_all(sock))
        assert status == 414 and body["code"] == "uri_too_long", (pieces, body)
        assert body["status"] == 414 and "request target" in str(body["detail"])


def test_a_head_ending_in_the_read_that_crosses_the_limit_is_refused() -> None:
    """The protocol alone (no middleware behind it): a 100 KB head sent at once is read in
    two pieces, the second ends the head and the request, and that read was not counted, so
    the oversized head reached the app (204). Header fields beside a short target: 431."""
    big = "X-Big: " + "a" * 100_000
    request = f"GET /x?a=1 HTTP/1.1\r\nHost: x\r\n{big}\r\n\r\n".encode()
    with _busy_app_server() as (port, go, _):
        go.set()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(request)
            raw = _read_all(sock)
    assert raw.startswith(b"HTTP/1.1 431 "), raw[:40]
    assert _answer(raw)[1]["code"] == "headers_too_large"


def test_big_requests_within_the_limits_still_work(
    server: LiveServer, users: dict[str, str], unique: str
) -> None:
    headers = {f"X-Extra-{i}": "v" * 500 for i in range(80)}  # 80 fields, ~42 KB
    headers["Authorization"] = f"Bearer {users['alice']}"
    with httpx.Client(base_url=server.api, headers=headers) as client:
        for _ in range(3):  # the same keep-alive connection, head after head
            assert client.get("/health").status_code == 200
        b = client.post("/buckets", json={"name": f"limits-{unique}"}).json()["id"]
        data = b"z" * (3 * 1024 * 1024)  # head and a long body in the first chunks
        r = client.put(f"/buckets/{b}/blob", params={"key": "big"}, content=data)
        assert r.status_code == 201, r.text
        assert client.get("/health").status_code == 200


def _asgi_status(headers: list[tuple[bytes, bytes]], query: bytes = b"") -> int:
    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:
        sent.append({"type": "http.response.start", "status": 200})

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "query_string": query,
        "headers": headers,
    }
    asyncio.run(HeaderLimitMiddleware(app)(scope, receive, send))  # type: ignore[arg-type]
    status = sent[0]["status"]
    assert isinstance(status, int)
    return status


def test_header_limit_middleware() -> None:
    assert _asgi_status([(b"x-a", b"1")] * MAX_HEADERS) == 200
    assert _asgi_status([(b"x-a", b"1")] * (MAX_HEADERS + 1)) == 431
    assert _asgi_status([(b"x-a", b"v" * (MAX_HEAD_BYTES - 100))]) == 200
    assert _asgi_status([(b"x-a", b"v" * MAX_HEAD_BYTES)]) == 431
    assert _asgi_status([], b"q=" + b"v" * MAX_HEAD_BYTES) == 414
    assert _asgi_status([(b"x-a", b"v" * 40_000)], b"q=" + b"v" * 30_000) == 431


@contextmanager
def _busy_app_server(
    protocol: type[BoundedHttpToolsProtocol] = BoundedHttpToolsProtocol,
) -> Iterator[tuple[int, threading.Event, list[bytes]]]:
    """A uvicorn server with the bounded protocol whose app reads its request body only once
    ``go`` is set (busy meanwhile), keeping every piece it receives; yields (port, go,
    pieces). The app answers 204."""
    got: list[bytes] = []
    go = threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await asyncio.to_thread(go.wait, 30)
        more = True
        while more:
            message = await receive()
            got.append(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        yield port, go, got
    finally:
        go.set()
        server.should_exit = True
        thread.join(timeout=10)


def test_request_bodies_are_read_ahead_up_to_the_limit() -> None:
    """While the app is busy, the protocol keeps reading a body until it holds
    BODY_READ_AHEAD bytes (uvicorn alone pauses at 64 KiB), so the app then takes it in few
    large pieces; and no more than that limit plus one socket read is held."""
    size = 16 * BODY_READ_AHEAD  # more than the server and both socket buffers hold
    with (
        _busy_app_server() as (port, go, got),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        head = "PUT / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        head += f"Content-Length: {size}\r\n\r\n"
        sock.sendall(head.encode())
        view = memoryview(b"b" * size)
        while view and select.select([], [sock], [], 0.5)[1]:
            view = view[sock.send(view[: 64 * 1024]) :]
        go.set()  # the socket stayed full for half a second: the server reads no more
        sock.sendall(view)
        raw = _read_all(sock)
    pieces = [len(piece) for piece in got]
    assert raw.startswith(b"HTTP/1.1 204")
    assert sum(pieces) == size
    assert BODY_READ_AHEAD < pieces[0] <= BODY_READ_AHEAD + 1024 * 1024, pieces[:4]


def test_body_pieces_are_referenced_until_taken_then_joined_once() -> None:
    """The read-ahead buffer keeps the socket's reads as they came (no copy per read, as
    uvicorn's bytearray made) and gives the app one ``bytes`` of them, in order: the read
    itself when there was only one."""
    first, second = b"a" * 70_000, b"b" * 5
    one = BodyPieces()
    one += first
    assert len(one) == 70_000 and bytes(one) is first  # no copy at all
    many = BodyPieces(bytearray(b"xy"))  # what uvicorn's buffer held before, if anything
    many += first
    many += b""
    many += second
    assert len(many) == 2 + 70_000 + 5
    taken = bytes(many)
    assert type(taken) is bytes and taken == b"xy" + first + second
    assert bytes(BodyPieces()) == b"" and len(BodyPieces()) == 0


def test_a_read_ahead_body_reaches_the_app_whole_and_in_order() -> None:
    """A body sent in many socket reads while the app is busy comes out byte for byte, as
    ``bytes`` (ASGI's type, never the protocol's buffer)."""
    body = hashlib.sha256(b"seed").digest() * (3 * BODY_READ_AHEAD // 32 + 7)
    with (
        _busy_app_server() as (port, go, got),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        head = f"PUT / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {len(body)}"
        sock.sendall(head.encode() + b"\r\n\r\n")
        for start in range(0, len(body), 10_000):  # many small sends
            sock.sendall(body[start : start + 10_000])
            if start == 20 * 10_000:
                go.set()
        go.set()
        raw = _read_all(sock)
    assert raw.startswith(b"HTTP/1.1 204")
    assert b"".join(got) == body and len(got) > 1
    assert {type(piece) for piece in got} == {bytes}


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, Path]]:
    """A server that waits half a second for the next byte of a request body, with a managed
    bucket ``stalls`` and a FILESYSTEM bucket ``folder`` (its folder is yielded)."""
    from bucketry_server.accounts.users import create_user

    root = tmp_path_factory.mktemp("impatient-root")
    data = tmp_path_factory.mktemp("impatient")
    with live_server(data, body_idle_seconds=0.5, filesystem_roots=[root]) as srv:
        _, token = create_user(srv.state.db, "stalling", admin=True)
        headers = {"Authorization": f"Bearer {token}"}
        r = httpx.post(srv.api + "/buckets", json={"name": "stalls"}, headers=headers)
        assert r.status_code == 201, r.text
        (root / "folder").mkdir()
        body = {"provider": "FILESYSTEM", "provider_bucket": str(root / "folder")}
        r = httpx.post(srv.api + "/buckets/import", json=body, headers=headers, timeout=60)
        assert r.status_code == 201, r.text
        yield srv, token, root / "folder"


def _stall(srv: LiveServer, head: str, sent: bytes) -> tuple[int, dict[str, object], float]:
    """Send ``head`` and the first bytes of its body, then nothing: the answer and its wait."""
    with socket.create_connection(("127.0.0.1", _port(srv)), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(head.encode() + sent)
        raw = _read_all(sock)  # the server answers and closes: no hang
        took = time.monotonic() - started
    status, body = _answer(raw)
    return status, body, took


@pytest.mark.parametrize("bucket", ["stalls", "folder", None])
def test_a_body_that_stops_arriving_is_a_408_and_stores_nothing(
    impatient: tuple[LiveServer, str, Path], bucket: str | None
) -> None:
    """A client that sends part of a body and then nothing held its request (and what the
    write had taken: a temporary object, a spool) for ever; now it gets 408 ``body_timeout``
    after the idle wait and the connection closes. A blob PUT, into a managed or an imported
    bucket, stores nothing; a JSON body (``None``) is refused the same way."""
    srv, token, folder = impatient
    auth = f"Authorization: Bearer {token}\r\n"
    if bucket is not None:
        path = f"/api/v1/buckets/{bucket}/blob?key=stalled"
        head = f"PUT {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 100000\r\n\r\n"
    else:
        head = (
            f"POST /api/v1/buckets HTTP/1.1\r\nHost: x\r\n{auth}"
            "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
        )
    status, body, took = _stall(srv, head, b"x" * 1000 if bucket else b'{"na')
    assert status == 408 and body["code"] == "body_timeout", body
    assert took < 8
    if bucket is not None:
        r = httpx.get(
            f"{srv.api}/buckets/{bucket}/blob",
            params={"key": "stalled"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 404
        assert list(srv.state.store.tmp_dir.iterdir()) == []  # type: ignore[attr-defined]
        assert list(folder.iterdir()) == []  # no file, no temporary file


class _QuickHeads(BoundedHttpToolsProtocol):
    head_timeout = 0.5


def test_a_head_that_does_not_arrive_in_time_is_a_408_and_the_connection_closes() -> None:
    """uvicorn arms no timer before a head is whole: a client trickling a head (slowloris), or
    connecting and sending nothing, held its connection for ever. Now a partial head gets 408
    ``head_timeout`` and a silent connection is closed, after the head timeout; a kept-alive
    connection idle between requests is uvicorn's keep-alive, untouched."""
    with _busy_app_server(_QuickHeads) as (port, go, _):
        go.set()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            raw = _read_all(sock)
            assert time.monotonic() - started < 5
        assert raw.startswith(b"HTTP/1.1 408 "), raw[:40]
        assert _answer(raw)[1]["code"] == "head_timeout"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            assert _read_all(sock) == b""  # closed, no answer
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for _ in range(2):  # the same connection, idle past the head timeout in between
                sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
                assert sock.recv(65536).startswith(b"HTTP/1.1 204 ")
                time.sleep(1)
