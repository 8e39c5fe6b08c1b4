"""Deleted composites of the LocalStore: freed at once unless a read holds them (a shared
``flock`` on the folder), then at the first sweep after the last read closed; never a
partial object for a read that raced the deletion."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from bucketry_server import maintenance
from bucketry_server.app import build_state
from bucketry_server.config import Settings
from bucketry_server.storage import LocalStore, ObjectMissingError
from bucketry_server.storage import local as local_module
from bucketry_server.storage import segments as segments_module
from bucketry_server.storage.segments import ObjectReader, remove_path

from .test_composite import composed
from .test_stores import read_all

pytestmark = pytest.mark.anyio


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


def files_under(root: Path) -> list[Path]:
    """Every file left anywhere in the store (objects, tmp, trash)."""
    return [p for p in root.rglob("*") if p.is_file()]


async def trash_empty_soon(store: LocalStore, timeout: float = 5.0) -> bool:
    """Whether the trash is empty within ``timeout`` seconds (a read's closing sweep runs in a
    worker thread after the read returned)."""
    deadline = time.monotonic() + timeout
    while list(store.trash_dir.iterdir()):
        if time.monotonic() > deadline:
            return False
        await anyio.sleep(0.01)
    return True


async def test_a_deleted_composite_nobody_reads_is_freed_at_once(store: LocalStore) -> None:
    first, parts, _ = await composed(store)
    second, more_parts, _ = await composed(store)
    for part_id in [*parts, *more_parts]:
        await store.delete(part_id)
    await store.delete(first)  # one by one (like an overwrite's old version)
    assert await store.delete_many([second]) == [second]  # and in bulk
    assert list(store.trash_dir.iterdir()) == []
    assert files_under(store.root) == []  # no link is left to any segment: the bytes are free


async def test_a_read_keeps_a_deleted_composite_until_it_closes(store: LocalStore) -> None:
    object_id, part_ids, whole = await composed(store)
    for part_id in part_ids:
        await store.delete(part_id)
    reader = store.read(object_id)
    first = await reader.__anext__()
    await store.delete(object_id)  # like an overwrite of the key while someone downloads it
    assert not await store.exists(object_id)
    with pytest.raises(ObjectMissingError):  # a new read does not find it
        await store.read_range(object_id, 0, 10)
    assert len(list(store.trash_dir.iterdir())) == 1  # held by the read
    assert await store.sweep_trash() == 0  # a sweep meanwhile leaves it
    rest = [block async for block in reader]
    assert first + b"".join(rest) == whole  # the download that had started finishes
    assert await trash_empty_soon(store)  # the read's end swept it
    assert files_under(store.root) == []


async def test_an_unfinished_read_releases_the_composite_when_closed(store: LocalStore) -> None:
    object_id, _, whole = await composed(store)
    reader = store.read(object_id, 0, None)
    assert whole.startswith(await reader.__anext__())
    await store.delete(object_id)
    assert len(list(store.trash_dir.iterdir())) == 1
    await reader.aclose()  # a client that went away mid-download
    assert await trash_empty_soon(store)


async def test_a_read_dropped_unfinished_releases_the_composite(store: LocalStore) -> None:
    """A consumer that stops iterating and drops the read without closing it (the event
    loop's async generator hook closes it)."""
    object_id, _, whole = await composed(store)
    reader = store.read(object_id, 0, None)
    assert whole.startswith(await reader.__anext__())
    await store.delete(object_id)
    assert len(list(store.trash_dir.iterdir())) == 1
    del reader
    assert await trash_empty_soon(store)


async def test_the_janitor_frees_a_composite_after_its_reader_closed(tmp_path: Path) -> None:
    state = build_state(Settings(data_dir=tmp_path))
    try:
        store = state.store
        assert isinstance(store, LocalStore)
        object_id, _, whole = await composed(store)
        reader = ObjectReader(store._path(object_id), object_id)  # no sweep on its close
        await store.delete(object_id)
        await maintenance.run_once(state)
        assert len(list(store.trash_dir.iterdir())) == 1  # still read: kept
        fd = reader.open(reader.pieces()[0])
        assert os.pread(fd, 10, 0) == whole[:10]
        os.close(fd)
        reader.close()
        assert len(list(store.trash_dir.iterdir())) == 1
        await maintenance.run_once(state)  # the next round, with no grace period
        assert list(store.trash_dir.iterdir()) == []
    finally:
        state.db.dispose()


async def test_a_reader_never_closed_does_not_pin_the_composite(store: LocalStore) -> None:
    object_id, _, _ = await composed(store)
    reader = ObjectReader(store._path(object_id), object_id)
    await store.delete(object_id)
    assert await store.sweep_trash() == 0
    del reader  # dropped without close: its descriptor (and lock) go with it
    assert await store.sweep_trash() == 1


async def test_composites_are_removed_off_the_event_loop(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Removing a composite unlinks up to 10,000 links: never in the event loop's thread."""
    threads: list[int] = []
    real = local_module.remove_path

    def recording(path: Path, trash: Path | None = None) -> None:
        threads.append(threading.get_ident())
        real(path, trash)

    monkeypatch.setattr(local_module, "remove_path", recording)
    first, _, _ = await composed(store)
    second, _, _ = await composed(store)
    await store.delete(first)
    await store.delete_many([second])
    assert len(threads) == 2 and threading.get_ident() not in threads
    assert list(store.trash_dir.iterdir()) == []


def _flock_hook(monkeypatch: pytest.MonkeyPatch, before_shared: Any) -> None:
    """Run ``before_shared()`` once, just before a reader takes its shared lock: the window
    between a reader's open of the folder and its lock."""
    real = fcntl.flock
    fired: list[bool] = []

    def flock(fd: int, op: int) -> None:
        if op & fcntl.LOCK_SH and not fired:
            fired.append(True)
            before_shared()
        real(fd, op)

    monkeypatch.setattr(segments_module.fcntl, "flock", flock)


async def test_a_read_racing_a_completed_deletion_finds_nothing(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened, then deleted and removed before the reader's lock: missing, never empty."""
    object_id, _, _ = await composed(store)
    path = store._path(object_id)
    _flock_hook(monkeypatch, lambda: remove_path(path, store.trash_dir))
    with pytest.raises(ObjectMissingError):
        await read_all(store, object_id)
    assert list(store.trash_dir.iterdir()) == [] and not store._path(object_id).exists()


async def test_a_read_racing_a_deletion_in_progress_finds_nothing(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deleter holds the folder (renamed into the trash) while the reader locks."""
    object_id, _, _ = await composed(store)
    path = store._path(object_id)
    held: list[int] = []

    def deleter_at_work() -> None:
        entry = store.trash_dir / f"{object_id}.x"
        os.rename(path, entry)
        fd = os.open(entry, os.O_RDONLY)
        held.append(fd)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    _flock_hook(monkeypatch, deleter_at_work)
    try:
        with pytest.raises(ObjectMissingError):
            await store.read_range(object_id, 0, 100)
    finally:
        os.close(held[0])
    await store.sweep_trash()
    assert await trash_empty_soon(store)


async def test_a_read_of_a_half_removed_composite_finds_nothing(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deleter that unlinked the first segment and stopped (killed): never a short object."""
    object_id, _, _ = await composed(store)
    path = store._path(object_id)

    def deleter_killed() -> None:
        entry = store.trash_dir / f"{object_id}.x"
        os.rename(path, entry)
        os.unlink(entry / "000001")

    _flock_hook(monkeypatch, deleter_killed)
    with pytest.raises(ObjectMissingError):
        await read_all(store, object_id)
    await store.sweep_trash()  # (or the failed read's closing sweep did)
    assert await trash_empty_soon(store)


_HOLDER = """
import sys
from pathlib import Path
from bucketry_server.storage.segments import ObjectReader
reader = ObjectReader(Path(sys.argv[1]), sys.argv[2])
print(len(reader.pieces()), flush=True)
sys.stdin.readline()
reader.close()
"""


async def test_a_reader_in_another_process_holds_the_composite(store: LocalStore) -> None:
    """Like a download served by another ``--workers`` process."""
    object_id, _, _ = await composed(store)
    holder = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _HOLDER, str(store._path(object_id)), object_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert int(await anyio.to_thread.run_sync(holder.stdout.readline)) > 1
        await store.delete(object_id)
        assert await store.sweep_trash() == 0
        assert len(list(store.trash_dir.iterdir())) == 1
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert await anyio.to_thread.run_sync(holder.wait, 30) == 0
        assert await store.sweep_trash() == 1
        assert list(store.trash_dir.iterdir()) == []
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
