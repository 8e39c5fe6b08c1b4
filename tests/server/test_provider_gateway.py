"""A provider that fails answers 502 (``provider_unreachable``) and one that does not answer in
time 504 (``provider_timeout``) on the data operations of an imported bucket; both declared in
the spec, neither a 409 (nothing about the request or the bucket's state is wrong)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bucketry_server.backends.remote import config as remote_config
from tests.server.imported_helpers import auth, import_bucket
from tests.support.live_server import LiveServer


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield int(s.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _import(server: LiveServer, token: str, name: str, port: int) -> dict[str, Any]:
    body = {
        "provider": "S3_COMPATIBLE",
        "provider_bucket": "b",
        "name": name,
        "endpoint_url": f"http://127.0.0.1:{port}",
        "credentials": {"access_key_id": "a", "secret_access_key": "gateway-secret"},
    }
    r = import_bucket(server.api, token, body)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def _calls(api: str, token: str, bucket: str) -> list[httpx.Response]:
    h = auth(token)
    return [
        httpx.get(f"{api}/buckets/{bucket}/blobs", headers=h, timeout=60),
        httpx.get(f"{api}/buckets/{bucket}/blob", params={"key": "k"}, headers=h, timeout=60),
        httpx.get(f"{api}/buckets/{bucket}/content", headers=h, timeout=60),
    ]


def test_unreachable_provider_is_a_bad_gateway(
    server: LiveServer, users: dict[str, str], unique: str, closed_port: int
) -> None:
    token = users["alice"]
    b = _import(server, token, f"gw-dead-{unique}", closed_port)
    for r in _calls(server.api, token, b["id"]):
        assert r.status_code == 502, r.text
        assert r.json()["code"] == "provider_unreachable" and "gateway-secret" not in r.text


def test_silent_provider_is_a_gateway_timeout(
    server: LiveServer,
    users: dict[str, str],
    unique: str,
    silent_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(remote_config, "READ_TIMEOUT", 0.5)
    token = users["alice"]
    b = _import(server, token, f"gw-silent-{unique}", silent_port)
    r = httpx.get(f"{server.api}/buckets/{b['id']}/blobs", headers=auth(token), timeout=60)
    assert r.status_code == 504, r.text
    assert r.json()["code"] == "provider_timeout" and "gateway-secret" not in r.text
