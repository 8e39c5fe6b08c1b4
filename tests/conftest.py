"""Shared fixtures: one real server per session (SQLite + temp dir on 127.0.0.1) and users.

Users: ``admin`` (administrator), ``alice`` and ``carol`` (members of org ``acme``), ``bob``
(org ``globex``). Each fixture yields a bearer token.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer, live_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("bucketry-data")
    # Small parts keep multipart tests fast; the 5 MiB rule is tested on its own server.
    with live_server(data_dir, min_part_size=64 * 1024) as srv:
        yield srv


@pytest.fixture(scope="session")
def users(server: LiveServer) -> dict[str, str]:
    from bucketry_server.bootstrap import create_user

    db = server.state.db
    tokens: dict[str, str] = {}
    for name, org, admin in [
        ("admin", None, True),
        ("alice", "acme", False),
        ("carol", "acme", False),
        ("bob", "globex", False),
    ]:
        _, tokens[name] = create_user(db, name, org=org, admin=admin)
    return tokens


_counter = itertools.count()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for names created by one test."""
    return f"t{next(_counter)}"
