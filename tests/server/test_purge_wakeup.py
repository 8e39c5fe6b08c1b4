"""A forced bucket delete made through a process that does not lead (``serve --workers N`` on
SQLite) wakes the leader's purge of deleted buckets at once, through the operation engine's
wake-up socket in the data folder, instead of leaving it to the purger's poll."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bucketry_server import maintenance
from bucketry_server.operations.wakeup import (
    OPERATIONS,
    PURGE,
    WakeListener,
    WakeSender,
    wake_address,
)
from tests.server.imported_helpers import auth
from tests.server.test_bucket_deletion import _bucket_with, _purged
from tests.server.test_operations_wakeup import leader_and_follower
from tests.support.live_server import LiveServer


def test_the_socket_wakes_each_kind_its_own_handler(tmp_path: Path) -> None:
    address = wake_address(tmp_path)

    async def run() -> list[list[str]]:
        woken: list[str] = []
        got = asyncio.Event()

        def on(name: str) -> None:
            woken.append(name)
            got.set()

        listener = WakeListener(address, lambda: on("operations"), {PURGE: lambda: on("purge")})
        assert listener.open(asyncio.get_running_loop())
        sender = WakeSender(address)
        rounds: list[list[str]] = []
        for kinds in ([PURGE], [OPERATIONS], [PURGE, PURGE, OPERATIONS], [b"?"]):
            for kind in kinds:
                sender.send(kind)
            await asyncio.wait_for(got.wait(), 2)
            await asyncio.sleep(0.05)  # a batch drained in one go is one call per kind
            rounds.append(sorted(woken))
            woken.clear()
            got.clear()
        listener.close()
        sender.close()
        return rounds

    assert asyncio.run(run()) == [
        ["purge"],
        ["operations"],
        ["operations", "purge"],
        ["operations"],  # any other byte wakes the engine, as every byte did before
    ]


@pytest.fixture()
def pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    """A leader and a follower on one SQLite data folder (as ``serve --workers 2``), the purger
    polling every 60 s (a wake-up missed shows as a 60 s wait); a user's token."""
    monkeypatch.setattr(maintenance, "PURGE_POLL_SECONDS", 60.0)
    with leader_and_follower(tmp_path / "data") as servers:
        yield servers


def test_a_forced_delete_through_a_follower_wakes_the_leaders_purge(
    pair: tuple[LiveServer, LiveServer, str],
) -> None:
    leader, follower, token = pair
    assert leader.state.leadership is not None and leader.state.leadership.held
    bucket_id, objects = _bucket_with(leader, token, "doomed", 5)
    started = time.monotonic()
    r = httpx.delete(f"{follower.api}/buckets/doomed?force=true", headers=auth(token))
    assert r.status_code == 200 and r.json()["blobs"] == 5, r.text
    _purged(leader, bucket_id, objects, timeout=5)  # rows, marks and files gone
    assert time.monotonic() - started < 2.0  # the poll alone: up to 60 s
    assert follower.state.leadership is not None and not follower.state.leadership.held
