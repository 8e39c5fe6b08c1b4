"""The local store hands a large object's bytes to the disk while it is still being written
(``storage/writeback.py``), so the fsync before its commit finds little left to write."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bucketry_server.storage import LocalStore
from bucketry_server.storage import writeback as wb
from bucketry_server.storage.base import Expected

MiB = 1024 * 1024


async def _chunks(total: int, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield bytes([sent // size % 256]) * n
        sent += n


def _write(store: LocalStore, object_id: str, total: int) -> None:
    async def run() -> None:
        await store.write(object_id, _chunks(total), Expected())

    asyncio.run(run())


def test_a_large_write_starts_its_writeback_block_by_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each WRITEBACK_EVERY bytes are handed to the disk as soon as they are written, in order,
    without gaps, and before the write ends (the fsync then has only the tail left)."""
    calls: list[tuple[int, int, int]] = []  # (offset, length, file size at the call)

    def record(fd: int, offset: int, length: int) -> bool:
        calls.append((offset, length, os.fstat(fd).st_size))
        return True

    monkeypatch.setattr(wb, "start_writeback", record)
    store = LocalStore(tmp_path / "store")
    oid = "obj_" + "a" * 32
    total = 3 * wb.WRITEBACK_EVERY + 5 * MiB
    _write(store, oid, total)

    assert [(offset, length) for offset, length, _ in calls] == [
        (i * wb.WRITEBACK_EVERY, wb.WRITEBACK_EVERY) for i in range(3)
    ]
    for offset, length, size_then in calls:
        assert offset + length <= size_then < total  # asked for while the file still grew
    assert store._path(oid).stat().st_size == total


def test_a_refused_writeback_is_only_a_lost_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filesystem that refuses the call gets it once per file, and the object is still
    written whole (the fsync alone makes it durable)."""
    calls: list[int] = []

    def refuse(fd: int, offset: int, length: int) -> bool:
        calls.append(offset)
        return False

    monkeypatch.setattr(wb, "start_writeback", refuse)
    store = LocalStore(tmp_path / "store")
    oid = "obj_" + "b" * 32
    _write(store, oid, 3 * wb.WRITEBACK_EVERY)
    assert calls == [0]
    assert store._path(oid).stat().st_size == 3 * wb.WRITEBACK_EVERY


def test_the_platform_call_starts_writeback_on_a_real_file(tmp_path: Path) -> None:
    """On Linux the libc call is found and accepted for a regular file."""
    if wb.start_writeback is None:
        pytest.skip("no sync_file_range on this platform")
    path = tmp_path / "f"
    with open(path, "wb") as f:
        f.write(b"x" * MiB)
        f.flush()
        assert wb.start_writeback(f.fileno(), 0, MiB) is True


def test_pieces_are_written_in_order_across_short_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store writes a block's pieces with writev, never joined; a short write (the kernel
    may take fewer bytes) resumes mid-piece, and more pieces than one call takes go in turns."""
    from bucketry_server.storage import segments

    real = os.writev
    sizes: list[int] = []

    def short_writev(fd: int, buffers: list[memoryview]) -> int:
        sizes.append(len(buffers))  # takes only the first half of what it is given
        given = b"".join(bytes(b) for b in buffers)
        return real(fd, [given[: max(1, len(given) // 2)]])

    monkeypatch.setattr(segments.os, "writev", short_writev)
    monkeypatch.setattr(segments, "_IOV_MAX", 5)
    pieces = [bytes([i]) * (i * 7 + 1) for i in range(40)] + [b""]
    path = tmp_path / "f"
    with open(path, "wb") as f:
        assert segments.write_pieces(f.fileno(), pieces) == sum(map(len, pieces))
    assert path.read_bytes() == b"".join(pieces)
    assert max(sizes) == 5
