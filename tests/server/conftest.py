"""Server test fixtures: generated-layer clients of the session server, per user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bucketry_api import ApiClient
from tests.support.live_server import LiveServer


@pytest.fixture
def alice(server: LiveServer, users: dict[str, str]) -> Iterator[ApiClient]:
    with ApiClient(server.url, token=users["alice"]) as api:
        yield api


@pytest.fixture
def bob(server: LiveServer, users: dict[str, str]) -> Iterator[ApiClient]:
    with ApiClient(server.url, token=users["bob"]) as api:
        yield api


@pytest.fixture
def anon(server: LiveServer) -> Iterator[ApiClient]:
    with ApiClient(server.url) as api:
        yield api
