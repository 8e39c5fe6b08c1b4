"""Object stores keep filesystem work and hashing off the event loop, on their failure paths
too: a failed or cancelled compose, copy or batch of a local store removes what it made (a
composite's folder may hold 10,000 links) in a worker thread, and an S3 store hashes and spools
a body in worker threads."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import stat
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import bucketry_server.storage.composing as composing
import bucketry_server.storage.local as local
from bucketry_server import ids, spooling
from bucketry_server.spooling import Spool, SpoolFull
from bucketry_server.storage.base import (
    ChecksumMismatchError,
    Expected,
    Hasher,
    ObjectMissingError,
    TooLargeError,
)
from bucketry_server.storage.local import LocalStore
from tests.server.storage.conftest import make_s3_store
from tests.support.seaweed import SeaweedS3


async def _body(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
def removed_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Path]]]:
    """``(thread name, path)`` of every ``remove_path`` the local store calls."""
    calls: list[tuple[str, Path]] = []
    real = local.remove_path

    def recording(path: Path, *args: Any) -> None:
        calls.append((threading.current_thread().name, path))
        real(path, *args)

    monkeypatch.setattr(local, "remove_path", recording)
    yield calls


def _parts(store: LocalStore, n: int) -> list[str]:
    async def run() -> list[str]:
        part_ids = [ids.new_id("obj") for _ in range(n)]
        for i, part_id in enumerate(part_ids):
            await store.write(part_id, _body(bytes([65 + i]) * 1000))
        return part_ids

    return asyncio.run(run())


def test_a_failed_compose_or_copy_removes_its_composite_off_the_event_loop(
    tmp_path: Path, removed_on: list[tuple[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path / "store")
    part_ids = _parts(store, 3)
    removed_on.clear()
    target, copied = ids.new_id("obj"), ids.new_id("obj")
    made: list[bool] = []
    real_hash = composing._hash_sources

    def hash_seeing_the_folder(sources: Any, *args: Any) -> Any:
        made.append(any(p.is_dir() for p in store.tmp_dir.iterdir()))  # the linked composite
        return real_hash(sources, *args)

    monkeypatch.setattr(composing, "_hash_sources", hash_seeing_the_folder)

    async def run() -> str:
        with pytest.raises(ChecksumMismatchError):
            await store.compose(target, part_ids, Expected(sha256_hex="0" * 64))
        with pytest.raises(ObjectMissingError):
            await store.copy(ids.new_id("obj"), copied)
        return threading.current_thread().name

    loop_thread = asyncio.run(run())
    assert made == [True]
    removed = {path for _, path in removed_on}
    assert store._path(target) in removed and store._path(copied) in removed
    assert len(removed_on) == 4  # each: its temp path and its final path
    assert loop_thread not in {thread for thread, _ in removed_on}
    assert list(store.tmp_dir.iterdir()) == []
    assert not store._path(target).exists() and not store._path(copied).exists()


def test_a_compose_cancelled_after_its_rename_removes_the_object_off_the_event_loop(
    tmp_path: Path, removed_on: list[tuple[str, Path]]
) -> None:
    """The thread cannot be interrupted: the composite was renamed into place before the
    cancellation arrived, the caller will never record it, so it goes (in a worker thread)."""
    store = LocalStore(tmp_path / "store")
    part_ids = _parts(store, 3)
    removed_on.clear()
    target = ids.new_id("obj")
    real_commit = store._commit

    async def run() -> str:
        loop = asyncio.get_running_loop()
        renamed = asyncio.Event()

        def slow_commit(*args: Any, **kwargs: Any) -> None:
            real_commit(*args, **kwargs)
            loop.call_soon_threadsafe(renamed.set)
            threading.Event().wait(0.3)  # still in the thread when the cancellation comes

        store._commit = slow_commit  # type: ignore[method-assign]
        task = asyncio.create_task(store.compose(target, part_ids))
        await asyncio.wait_for(renamed.wait(), 5)
        assert store._path(target).is_dir()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return threading.current_thread().name

    loop_thread = asyncio.run(run())
    assert not store._path(target).exists()
    assert {path for _, path in removed_on} >= {store._path(target)}
    assert loop_thread not in {thread for thread, _ in removed_on}
    assert list(store.tmp_dir.iterdir()) == []


def test_a_failed_batch_of_small_writes_removes_them_off_the_event_loop(
    tmp_path: Path, removed_on: list[tuple[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path / "store")
    items = [(ids.new_id("obj"), b"%d" % i) for i in range(3)]

    def failing_sync(path: Path) -> None:  # every object renamed into place, then a failure
        raise OSError(5, "directory sync failed")

    monkeypatch.setattr(local, "fsync_dir", failing_sync)

    async def run() -> str:
        with pytest.raises(OSError, match="directory sync failed"):
            await store.write_small_many(items)
        return threading.current_thread().name

    loop_thread = asyncio.run(run())
    assert {path for _, path in removed_on} >= {store._path(oid) for oid, _ in items}
    assert loop_thread not in {thread for thread, _ in removed_on}
    assert not any(os.path.exists(store._path(oid)) for oid, _ in items)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_a_refused_write_closes_its_unlinked_temp_file_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last close of an unlinked file frees its blocks (gigabytes for a big body): a
    refused multi-block write removes and closes its temp file in a worker thread (and a
    stored one closes its file there too, after its commit)."""
    store = LocalStore(tmp_path / "store")
    closed_on: list[str] = []
    real_close = os.close

    def recording(fd: int) -> None:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(str(store.root)) and stat.S_ISREG(os.fstat(fd).st_mode):
                closed_on.append(threading.current_thread().name)
        real_close(fd)

    async def blocks(n: int) -> AsyncIterator[bytes]:
        for _ in range(n):
            yield b"x" * (1 << 20)

    async def run() -> str:
        monkeypatch.setattr(os, "close", recording)
        with pytest.raises(ChecksumMismatchError):
            await store.write(ids.new_id("obj"), blocks(3), Expected(sha256_hex="0" * 64))
        await store.write(ids.new_id("obj"), blocks(3))
        return threading.current_thread().name

    loop_thread = asyncio.run(run())
    monkeypatch.undo()
    assert len(closed_on) == 2  # the refused write's temp file, the stored one's object
    assert loop_thread not in closed_on
    assert list(store.tmp_dir.iterdir()) == []


@pytest.mark.emulator
@pytest.mark.parametrize("mib", [3, 20])  # kept in memory; spooled to a file
def test_an_s3_store_write_hashes_and_spools_off_the_event_loop(
    seaweed: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mib: int
) -> None:
    """A body to an S3-backed server is hashed and spooled in worker threads, and an on-disk
    spool is closed there too: the event loop's thread only receives."""
    store = make_s3_store(seaweed, tmp_path / "spool")
    threads: dict[str, set[str]] = {"hash": set(), "spool": set(), "close": set()}

    def recorded(name: str, real: Any) -> Any:
        def call(self: Any, *args: Any) -> Any:
            threads[name].add(threading.current_thread().name)
            return real(self, *args)

        return call

    monkeypatch.setattr(Hasher, "update", recorded("hash", Hasher.update))
    monkeypatch.setattr(Spool, "write", recorded("spool", Spool.write))
    monkeypatch.setattr(Spool, "close", recorded("close", Spool.close))
    data = os.urandom(1 << 20) * mib

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 64 << 10):  # as a request body arrives
            yield data[i : i + (64 << 10)]

    async def run() -> tuple[str, bytes]:
        oid = ids.new_id("obj")
        result = await store.write(oid, chunks(), Expected(sha256=True))
        assert result.size == len(data)
        assert result.sha256_hex == hashlib.sha256(data).hexdigest()
        return threading.current_thread().name, await store.read_range(oid, 0, len(data))

    try:
        loop_thread, stored = asyncio.run(run())
    finally:
        store.client.close()
    assert stored == data
    assert threads["hash"] and threads["spool"]
    assert loop_thread not in threads["hash"] | threads["spool"]
    if mib > 8:  # closing the unnamed spool file frees its blocks
        assert threads["close"] and loop_thread not in threads["close"]


@pytest.mark.emulator
def test_an_s3_store_write_keeps_its_limits_with_blocks(
    seaweed: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks in worker threads change no outcome: a body past ``max_size`` is TooLargeError
    at the chunk that passes it, one past the spool budget is SpoolFull with its bytes given
    back, a checksum mismatch stores nothing."""
    store = make_s3_store(seaweed, tmp_path / "spool")
    monkeypatch.setattr(spooling.BUDGET, "max_bytes", 4 << 20)
    received: list[int] = []

    async def chunks(n: int) -> AsyncIterator[bytes]:
        for i in range(n):
            received.append(i)
            yield b"x" * (256 << 10)

    async def run() -> None:
        with pytest.raises(TooLargeError):
            await store.write(ids.new_id("obj"), chunks(40), Expected(max_size=1 << 20))
        assert len(received) == 5  # the fifth chunk passed 1 MiB: nothing read after it
        before = spooling.BUDGET.used
        spooling.BUDGET.take(3 << 20)  # other uploads hold most of the budget
        try:
            with pytest.raises(SpoolFull):
                await store.write(ids.new_id("obj"), chunks(8))
            assert spooling.BUDGET.used == before + (3 << 20)
        finally:
            spooling.BUDGET.give(3 << 20)
        oid = ids.new_id("obj")
        with pytest.raises(ChecksumMismatchError):
            await store.write(oid, chunks(12), Expected(sha256_hex="0" * 64))
        assert not await store.exists(oid)

    try:
        asyncio.run(run())
    finally:
        store.client.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_a_read_of_a_file_deleted_meanwhile_closes_it_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read keeps a deleted plain object's bytes until it closes; that last close frees
    them (gigabytes for a big object), so a read ending on the event loop leaves it to a
    worker thread."""
    store = LocalStore(tmp_path / "store")
    closed_on: list[str] = []
    real_close = os.close

    def recording(fd: int) -> None:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}").endswith(" (deleted)"):
                closed_on.append(threading.current_thread().name)
        real_close(fd)

    async def run() -> str:
        oid = ids.new_id("obj")
        await store.write(oid, _body(b"y" * (3 << 20)))
        monkeypatch.setattr(os, "close", recording)
        got = 0
        async for block in store.read(oid):
            if not got:
                await store.delete(oid)  # an overwrite or a delete while it is read
            got += len(block)
        assert got == 3 << 20
        for _ in range(100):  # the close is not waited for
            if closed_on[1:]:
                break
            await asyncio.sleep(0.01)
        return threading.current_thread().name

    loop_thread = asyncio.run(run())
    monkeypatch.undo()
    assert len(closed_on) == 2  # the read's descriptor of the piece, then the reader's
    assert closed_on[-1] != loop_thread  # the last one, which frees the bytes
