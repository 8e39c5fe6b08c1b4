"""A forced bucket delete made through a process that does not lead (``serve --workers N``,
SQLite or PostgreSQL, with operation workers or none) wakes the leader's purge of deleted
buckets at once, through the purge's wake-up socket in the data folder, instead of leaving it
to the purger's poll."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from bucketry_server import maintenance
from bucketry_server.accounts.users import create_user
from bucketry_server.operations.wakeup import (
    PURGE_SOCKET_FILE,
    SOCKET_FILE,
    WakeListener,
    WakeSender,
    wake_address,
)
from tests.server.imported_helpers import auth
from tests.server.test_bucket_deletion import _bucket_with, _purged
from tests.support.live_server import (
    POSTGRES_ENV,
    LiveServer,
    _live_server,
    fresh_postgres_database,
)


def test_the_purge_and_the_operations_have_sockets_of_their_own(tmp_path: Path) -> None:
    """A wake-up of the purge never wakes the operation engine, nor the reverse: each purpose
    has its own socket in the data folder."""
    addresses = wake_address(tmp_path), wake_address(tmp_path, PURGE_SOCKET_FILE)
    assert addresses == (str(tmp_path / SOCKET_FILE), str(tmp_path / PURGE_SOCKET_FILE))

    async def run() -> list[list[str]]:
        woken: list[str] = []
        got = asyncio.Event()

        def on(name: str) -> None:
            woken.append(name)
            got.set()

        listeners = [
            WakeListener(addresses[0], lambda: on("operations")),
            WakeListener(addresses[1], lambda: on("purge")),
        ]
        assert all(listener.open(asyncio.get_running_loop()) for listener in listeners)
        senders = [WakeSender(address) for address in addresses]
        rounds: list[list[str]] = []
        for which in ([1], [0], [1, 1, 0]):
            for n in which:
                senders[n].send()
            await asyncio.wait_for(got.wait(), 2)
            await asyncio.sleep(0.05)  # a batch drained in one go is one call
            rounds.append(sorted(woken))
            woken.clear()
            got.clear()
        for listener, sender in zip(listeners, senders, strict=True):
            listener.close()
            sender.close()
        return rounds

    assert asyncio.run(run()) == [["purge"], ["operations"], ["operations", "purge"]]


@pytest.fixture(params=[4, 0], ids=["operation-workers", "no-operation-workers"])
def pair(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    """A leader and a follower on one data folder (as ``serve --workers 2``), on SQLite, or on
    a fresh PostgreSQL database in the PostgreSQL pass; with operation workers, and with none
    (the purge's wake-up needs no engine); the purger polling every 60 s (a wake-up missed
    shows as a 60 s wait); a user's token."""
    monkeypatch.setattr(maintenance, "PURGE_POLL_SECONDS", 60.0)
    data = tmp_path / "data"
    with ExitStack() as stack:
        db = f"sqlite:///{data / 'bucketry.db'}"
        if postgres := os.environ.get(POSTGRES_ENV):
            db = stack.enter_context(fresh_postgres_database(postgres))
        workers = {"operation_workers": request.param}
        leader = stack.enter_context(_live_server(data, database_url=db, **workers))
        follower = stack.enter_context(
            _live_server(data, database_url=db, start_sweep=False, start_migrate=False, **workers)
        )
        _, token = create_user(leader.state.db, "ada")
        yield leader, follower, token


def test_a_forced_delete_through_a_follower_wakes_the_leaders_purge(
    pair: tuple[LiveServer, LiveServer, str],
) -> None:
    """The old code woke the leader only through the operation engine's socket: on SQLite
    with operation workers. On PostgreSQL, or with ``operation_workers=0``, the purge waited
    for its poll (10 s by default)."""
    leader, follower, token = pair
    assert leader.state.leadership is not None and leader.state.leadership.held
    bucket_id, objects = _bucket_with(leader, token, "doomed", 5)
    started = time.monotonic()
    r = httpx.delete(f"{follower.api}/buckets/doomed?force=true", headers=auth(token))
    assert r.status_code == 200 and r.json()["blobs"] == 5, r.text
    _purged(leader, bucket_id, objects, timeout=5)  # rows, marks and files gone
    assert time.monotonic() - started < 15.0  # the poll alone: 60 s (a busy disk: seconds)
    assert follower.state.leadership is not None and not follower.state.leadership.held
    assert (leader.settings.data_dir / PURGE_SOCKET_FILE).exists()


def test_a_follower_that_takes_over_listens_for_purge_wake_ups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The leader exits (its purge socket goes with it); the follower's purger, at its next
    round, leads and binds the socket itself, so deletes made through other processes keep
    waking the purge."""
    monkeypatch.setattr(maintenance, "PURGE_POLL_SECONDS", 0.2)
    data = tmp_path / "data"
    db = f"sqlite:///{data / 'bucketry.db'}"
    with ExitStack() as stack, ExitStack() as leading:
        leading.enter_context(_live_server(data, database_url=db))
        follower = stack.enter_context(_live_server(data, database_url=db, start_sweep=False))
        assert (data / PURGE_SOCKET_FILE).exists()
        leading.close()
        assert not (data / PURGE_SOCKET_FILE).exists()
        deadline = time.monotonic() + 5
        while not (data / PURGE_SOCKET_FILE).exists():
            assert time.monotonic() < deadline, "the new leader did not bind the purge socket"
            time.sleep(0.05)
        assert follower.state.leadership is not None and follower.state.leadership.held
