"""Bad input at the edges of the HTTP layer: oversized JSON (declared and chunked), malformed
JSON, wrong methods. Each is a clear 4xx problem and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx

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
