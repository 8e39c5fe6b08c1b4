"""SDK test fixtures: a client of the session server (as alice) and a fresh bucket per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bucketry import Bucket, Client
from tests.support.live_server import LiveServer, live_server


@pytest.fixture
def client(server: LiveServer, users: dict[str, str]) -> Iterator[Client]:
    with Client(url=server.url, token=users["alice"], progress=False) as c:
        yield c


@pytest.fixture
def bucket(client: Client, unique: str) -> Iterator[Bucket]:
    b = client.buckets.create(f"sdk-{unique}")
    yield b
    b.delete(force=True)


# -- imported buckets ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def imports_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the ``imports_server`` allows FILESYSTEM buckets under."""
    return tmp_path_factory.mktemp("imports").resolve()


@pytest.fixture(scope="session")
def imports_server(
    tmp_path_factory: pytest.TempPathFactory, imports_root: Path
) -> Iterator[LiveServer]:
    """A live server whose settings name ``imports_root`` as a FILESYSTEM root (the session
    server has none, as a default server has none)."""
    data_dir = tmp_path_factory.mktemp("bucketry-imports-data")
    with live_server(data_dir, min_part_size=64 * 1024, filesystem_roots=[imports_root]) as srv:
        yield srv


@pytest.fixture(scope="session")
def imports_users(imports_server: LiveServer) -> dict[str, str]:
    """``admin`` (may register FILESYSTEM buckets) and ``alice`` on the ``imports_server``."""
    from bucketry_server.accounts.users import create_user

    db = imports_server.state.db
    return {
        name: create_user(db, name, org=org, admin=admin)[1]
        for name, org, admin in [("admin", None, True), ("alice", "acme", False)]
    }
