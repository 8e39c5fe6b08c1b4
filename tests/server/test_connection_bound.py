"""The connection bound of a serving process (``serve --max-connections``): past it a request
gets a 503 ``busy`` problem with ``Retry-After`` and its connection is closed, instead of the
server taking connections (each may hold a 64 KiB head and 1 MiB of body read ahead) without
any limit."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bucketry_server.config import Settings
from tests.support.serve_process import served

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """``serve --workers 1 --max-connections 3`` on SQLite: (API url, port)."""
    data = tmp_path_factory.mktemp("bounded") / "data"
    env = {k: v for k, v in os.environ.items() if k != "BUCKETRY_DATABASE_URL"}
    args = ("--workers", "1", "--max-connections", "3")
    with served(data, *args, env=env) as (api, _pid):
        yield api, urlsplit(api).port or 0


def _idle_connections(port: int, n: int) -> list[socket.socket]:
    """``n`` connections that send nothing (as a slow or idle client holds them)."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
    time.sleep(0.2)  # the server has taken them
    return socks


def test_a_request_past_the_bound_is_a_503_busy_problem(bounded: tuple[str, int]) -> None:
    api, port = bounded
    held = _idle_connections(port, 2)
    try:
        with httpx.Client(timeout=5) as c:
            r = c.get(api + "/health")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["retry-after"] == "1"
        assert r.headers["connection"] == "close"
        assert r.json()["code"] == "busy"
        assert r.json()["status"] == 503
    finally:
        for s in held:
            s.close()
    time.sleep(0.2)  # the server saw them go
    with httpx.Client(timeout=5) as c:
        assert c.get(api + "/health").status_code == 200


def test_the_bound_comes_from_the_settings_and_refuses_a_negative_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BUCKETRY_MAX_CONNECTIONS", "64")
    assert Settings.from_env().max_connections == 64
    assert Settings.from_env(max_connections=8).max_connections == 8
    assert Settings().max_connections == 512
    from bucketry_server.cli import serve

    with pytest.raises(ValueError, match="max-connections"):
        serve(Settings(max_connections=-1))
