"""Waking the operation engine across processes (``serve --workers N`` on SQLite): only the
leading process runs operation workers; an operation created through another process wakes
it through the data folder's Unix datagram socket instead of waiting for its poll, and the
engine of a follower takes over when the leader exits."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from bucketry_server.accounts.users import create_user
from bucketry_server.operations.wakeup import SOCKET_FILE, WakeListener, WakeSender, wake_address
from tests.server.imported_helpers import auth, put
from tests.server.operation_helpers import copy_start_latency
from tests.support.live_server import LiveServer, _live_server


# -- the socket --------------------------------------------------------------------------------
def test_wakes_cross_sockets_coalesce_and_never_block(tmp_path: Path) -> None:
    address = wake_address(tmp_path)
    assert address == str(tmp_path / SOCKET_FILE)

    async def run() -> tuple[int, int]:
        wakes = 0
        got = asyncio.Event()

        def on_wake() -> None:
            nonlocal wakes
            wakes += 1
            got.set()

        listener = WakeListener(address, on_wake)
        assert listener.open(asyncio.get_running_loop())
        mode = stat.S_IMODE(os.stat(tmp_path / SOCKET_FILE).st_mode)
        sender = WakeSender(address)
        sender.send()
        await asyncio.wait_for(got.wait(), 2)
        first = wakes
        for _ in range(20_000):  # far more than the kernel queues: the excess is dropped
            sender.send()
        await asyncio.sleep(0.2)
        floods = wakes - first
        listener.close()
        sender.send()  # nobody listening any more: ignored
        sender.close()
        assert not (tmp_path / SOCKET_FILE).exists()
        return mode, floods

    mode, floods = asyncio.run(run())
    assert mode == 0o600
    assert 1 <= floods < 200  # 20,000 sends, a handful of wake-ups


def test_a_new_leader_replaces_the_socket_a_dead_one_left(tmp_path: Path) -> None:
    path = tmp_path / SOCKET_FILE
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(path))
    dead.close()  # the file stays, as after a crash
    WakeSender(str(path)).send()  # refused: ignored

    async def run() -> None:
        got = asyncio.Event()
        listener = WakeListener(str(path), got.set)
        assert listener.open(asyncio.get_running_loop())
        WakeSender(str(path)).send()
        await asyncio.wait_for(got.wait(), 2)
        listener.close()

    asyncio.run(run())


def test_a_long_data_folder_uses_an_abstract_name(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    address = wake_address(deep)
    assert isinstance(address, bytes) and address.startswith(b"\0bucketry-wake-")
    assert address == wake_address(deep) != wake_address(tmp_path / ("e" * 120))

    async def run() -> None:
        got = asyncio.Event()
        listener = WakeListener(address, got.set)
        assert listener.open(asyncio.get_running_loop())
        WakeSender(address).send()
        await asyncio.wait_for(got.wait(), 2)
        listener.close()

    asyncio.run(run())


# -- two servers on one data folder (two worker processes, in one process) --------------------
@contextmanager
def leader_and_follower(
    data: Path, **settings: object
) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    """A leader and a follower on one SQLite data folder ``data`` (as ``serve --workers 2``),
    both with ``settings``; a user's token."""
    db = f"sqlite:///{data / 'bucketry.db'}"
    with ExitStack() as stack:
        leader = stack.enter_context(_live_server(data, database_url=db, **settings))
        follower = stack.enter_context(
            _live_server(data, database_url=db, start_sweep=False, **settings)
        )
        _, token = create_user(leader.state.db, "ada")
        yield leader, follower, token


@pytest.fixture()
def pair(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    """:func:`leader_and_follower`, idle workers polling every 30 s (a wake-up missed shows
    as a 30 s wait)."""
    with leader_and_follower(tmp_path / "data", operation_poll_seconds=30.0) as servers:
        yield servers


def test_an_operation_created_through_a_follower_starts_at_once(
    pair: tuple[LiveServer, LiveServer, str],
) -> None:
    leader, follower, token = pair
    h = auth(token)
    assert httpx.post(f"{leader.api}/buckets", json={"name": "wake"}, headers=h).status_code == 201
    assert put(leader.api, token, "wake", "src/a", b"a").status_code == 201
    latencies = [copy_start_latency(follower.api, auth(token), "wake", n) for n in range(3)]
    latencies.append(copy_start_latency(leader.api, auth(token), "wake", 3))
    assert max(latencies) < 1.0, latencies  # the poll alone: up to 30 s
    assert (leader.settings.data_dir / SOCKET_FILE).exists()


def test_a_follower_takes_over_when_the_leader_exits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = f"sqlite:///{data / 'bucketry.db'}"
    with ExitStack() as stack, ExitStack() as leading:
        first = leading.enter_context(
            _live_server(data, database_url=db, operation_poll_seconds=0.2)
        )
        follower = stack.enter_context(
            _live_server(data, database_url=db, operation_poll_seconds=0.2, start_sweep=False)
        )
        _, token = create_user(first.state.db, "ada")
        h = auth(token)
        assert (
            httpx.post(f"{first.api}/buckets", json={"name": "takeover"}, headers=h).status_code
            == 201
        )
        assert put(first.api, token, "takeover", "src/a", b"a").status_code == 201
        leading.close()  # the leader exits: its lock and its socket go
        assert not (data / SOCKET_FILE).exists()
        # The follower's stand-by engine notices within a poll and starts its workers.
        assert copy_start_latency(follower.api, auth(token), "takeover", 0) < 2.0
        assert (data / SOCKET_FILE).exists()
        assert copy_start_latency(follower.api, auth(token), "takeover", 1) < 1.0


def test_the_socket_works_where_the_platform_has_no_sock_cloexec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS (and other non-Linux) Pythons have no ``socket.SOCK_CLOEXEC``: the leader still
    binds and the senders still send (the old code raised AttributeError, at the engine's
    start and in every follower's ``wake()``), and the socket is still closed on exec (Python
    sockets are non-inheritable)."""
    monkeypatch.delattr(socket, "SOCK_CLOEXEC", raising=False)
    address = wake_address(tmp_path)

    async def run() -> bool:
        got = asyncio.Event()
        listener = WakeListener(address, got.set)
        assert listener.open(asyncio.get_running_loop())
        sender = WakeSender(address)
        sender.send()
        await asyncio.wait_for(got.wait(), 2)
        inheritable = [s.get_inheritable() for s in (listener._sock, sender._sock) if s]
        listener.close()
        sender.close()
        return inheritable == [False, False]

    assert asyncio.run(run())


@pytest.mark.skipif(not hasattr(socket, "SO_PASSCRED"), reason="Linux credentials only")
def test_another_users_datagrams_do_not_wake_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An abstract name has no file permissions: any local user could send to it and make the
    leader look for work in a loop. Only datagrams of the server's own user count (here the
    server pretends to run as another user, so this process's sends are a stranger's; the old
    code woke on them)."""
    from bucketry_server.operations import wakeup

    address = b"\0bucketry-wake-test-" + os.urandom(8).hex().encode()

    async def run() -> tuple[int, int]:
        wakes = 0
        got = asyncio.Event()

        def on_wake() -> None:
            nonlocal wakes
            wakes += 1
            got.set()

        listener = WakeListener(address, on_wake)
        assert listener.open(asyncio.get_running_loop())
        sender = WakeSender(address)
        try:
            with monkeypatch.context() as m:
                m.setattr(wakeup.os, "getuid", lambda: os.getuid() + 1)
                for _ in range(5):
                    sender.send()
                await asyncio.sleep(0.2)
            strangers = wakes
            sender.send()  # the server's own user again
            await asyncio.wait_for(got.wait(), 2)
            return strangers, wakes
        finally:
            listener.close()
            sender.close()

    assert asyncio.run(run()) == (0, 1)
