"""Bad input at the edges of the HTTP layer: oversized JSON (declared and chunked), malformed
JSON, wrong methods. Each is a clear 4xx problem and stores nothing."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.live_server import LiveServer


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def test_oversized_json_is_refused_before_parsing(
    server: LiveServer, users: dict[str, str]
) -> None:
    limit = server.settings.max_json_bytes
    body = json.dumps({"name": "huge-json", "description": "x" * (limit + 10)}).encode()
    r = httpx.post(server.api + "/buckets", content=body, headers=_h(users["bob"]))
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"name": "huge-json", "description": "'
        for _ in range(limit // 65536 + 2):
            yield b"y" * 65536
        yield b'"}'

    r = httpx.post(server.api + "/buckets", content=chunked(), headers=_h(users["bob"]))
    assert r.status_code == 413
    listed = httpx.get(
        server.api + "/buckets", params={"name": "huge-json"}, headers=_h(users["bob"])
    )
    assert listed.json()["results"] == []


def test_malformed_json_and_wrong_types(server: LiveServer, users: dict[str, str]) -> None:
    r = httpx.post(server.api + "/buckets", content=b'{"name": ', headers=_h(users["bob"]))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = httpx.post(server.api + "/buckets", json={"name": 12}, headers=_h(users["bob"]))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "name"]


def test_wrong_method_lists_the_allowed_ones(server: LiveServer, users: dict[str, str]) -> None:
    r = httpx.request("PATCH", server.api + "/tokens", headers=_h(users["bob"]))
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert r.json()["code"] == "method_not_allowed"


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed after {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed mid-body")
        rest += chunk
    return int(lines[0].split()[1]), headers, rest


def test_a_500_keeps_the_connection_usable(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bucketry_server.routes import system

    def boom(*args: object) -> str:
        raise RuntimeError("forced failure")

    port = int(server.url.rsplit(":", 1)[1])
    request = f"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        monkeypatch.setattr(system, "iso", boom)
        sock.sendall(request)
        status, headers, body = _read_response(sock)
        assert status == 500 and json.loads(body)["code"] == "internal_error"
        assert headers["content-type"] == "application/problem+json"
        assert headers.get("connection") != "close"
        monkeypatch.undo()
        sock.sendall(request)  # the same connection serves the next request
        status, _, body = _read_response(sock)
        assert status == 200 and json.loads(body)["status"] == "ok"
    assert headers.get("x-request-id")  # the 500 is traceable like every other answer
    # And through a pooled client: the request after a 500 reuses the connection and works.
    monkeypatch.setattr(system, "iso", boom)
    with httpx.Client(base_url=server.api) as client:
        assert client.get("/health").status_code == 500
        monkeypatch.undo()
        time.sleep(0.2)  # give a closing server time to drop the pooled connection
        assert client.get("/health").status_code == 200
