"""Managed blobs in a local folder: the zero-configuration default.

Layout under ``root``::

    objects/<id[4:6]>/<id[6:8]>/<id>   one file per object, fanned out so no directory grows huge
                                       (or a folder of hard-linked parts: see ``segments``)
    tmp/                               in-flight writes; renamed into objects/ only when complete
    trash/                             deleted composites that a read still holds (see below)

Every write goes to ``tmp/`` first, is fsynced, then ``os.replace``-d into place and the directory
fsynced, so readers see either nothing or the whole object, and a crash leaves only temp files
(removed by :meth:`LocalStore.sweep_temp` at start-up). Object ids are validated with a strict
regex before any path is built, so no id can ever escape ``root``.

Deleting a plain object unlinks it (a read through an open descriptor still finishes). Deleting
or overwriting a composite renames its folder into ``trash/`` and removes it at once, freeing its
bytes, unless a read holds it (a shared ``flock``, across processes: see ``segments``); such an
entry goes as soon as a sweep finds it free: when a read of a deleted composite closes (a sweep
in a worker thread), at every janitor round and at start-up (:meth:`LocalStore.sweep_trash`).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.to_thread

from ..ids import token_hex
from .base import (
    Expected,
    Hasher,
    ObjectMissingError,
    ObjectStore,
    WriteResult,
)
from .blocks import BLOCK_SIZE, feed_blocks
from .composing import compose_files, copy_all, create_private
from .segments import (
    ObjectReader,
    Piece,
    TrashSweeper,
    fsync_dir,
    link_segments,
    remove_path,
    remove_stale,
    spans,
    write_pieces,
)
from .writeback import EarlyWriteback

__all__ = ["CHUNK_SIZE", "OBJECT_ID_RE", "LocalStore", "check_object_id"]

#: The only object ids a store accepts: ``obj_`` + 32 lowercase hex digits.
OBJECT_ID_RE = re.compile(r"obj_[0-9a-f]{32}")

#: Read size (writes gather request bodies into blocks of the same size: ``blocks``).
CHUNK_SIZE = BLOCK_SIZE

_T = TypeVar("_T")


def _private_dirs(path: Path) -> None:
    """Create ``path`` and any missing parents, each mode 0700 (``Path.mkdir`` would give the
    parents the default mode)."""
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)


def check_object_id(object_id: str) -> str:
    """Return ``object_id`` if it is a well-formed id, else raise ValueError (never a path)."""
    if not isinstance(object_id, str) or OBJECT_ID_RE.fullmatch(object_id) is None:
        raise ValueError(f"invalid object id: {object_id!r}")
    return object_id


class LocalStore(ObjectStore):
    """Objects as files under ``root`` (see the module docstring for the layout)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.objects_dir = self.root / "objects"
        self.tmp_dir = self.root / "tmp"
        self.trash_dir = self.root / "trash"
        for folder in (self.objects_dir, self.tmp_dir, self.trash_dir):
            _private_dirs(folder)
        self._known_dirs: set[Path] = set()
        self._trash = TrashSweeper(self.trash_dir)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    # ------------------------------------------------------------------ paths

    def _path(self, object_id: str) -> Path:
        check_object_id(object_id)
        return self.objects_dir / object_id[4:6] / object_id[6:8] / object_id

    def _temp_path(self, object_id: str) -> Path:
        # Unique per attempt, so two concurrent writes of one id never share a temp file.
        return self.tmp_dir / f"{object_id}.{token_hex()}.tmp"

    def _commit(self, tmp: Path, final: Path, fd: int | None, synced: bool = False) -> None:
        """fsync the temp file (unless ``synced``), rename it into place and fsync the directory
        (blocking). ``tmp`` may be a composite's folder (already synced by its maker)."""
        if fd is not None:
            os.fsync(fd)
        elif not synced:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        if final.parent not in self._known_dirs:  # one mkdir per fan-out directory, not per write
            _private_dirs(final.parent)
            self._known_dirs.add(final.parent)
        try:
            os.replace(tmp, final)
        except FileNotFoundError:  # the directory was removed behind our back
            _private_dirs(final.parent)
            os.replace(tmp, final)
        except OSError:
            # Replacing a file by a composite folder or the reverse (an id written twice, which
            # the server never does): the old object goes first. Anything else is a real error.
            if not final.exists():
                raise
            remove_path(final, self.trash_dir)
            os.replace(tmp, final)
        fsync_dir(final.parent)

    async def _run_committing(self, final: Path, tmp: Path, func: Callable[[], _T]) -> _T:
        """Run a blocking write-and-commit in a worker thread; undo everything on any failure.

        ``func`` must end by renaming ``tmp`` to ``final``. A thread cannot be interrupted, so if
        the caller is cancelled while it runs, the rename may already have happened: the object
        is then removed again, because the caller will never record it. The clean-up runs in a
        worker thread too (``tmp`` may be a composite's folder of 10,000 links), shielded from
        the cancellation and finished before the error propagates.
        """
        try:
            return await anyio.to_thread.run_sync(func)
        except BaseException:
            await _remove_off_loop([tmp, final])
            raise

    # ------------------------------------------------------------------ writes

    async def write(
        self, object_id: str, chunks: AsyncIterator[bytes], expected: Expected | None = None
    ) -> WriteResult:
        """Stream into ``tmp/``, hashing as we go; rename into place only if the checks pass.

        Small chunks are gathered into 1 MiB blocks (written with one ``writev``, never
        joined: a join copied every byte once more). Each block is hashed and written in a
        worker thread while the event loop receives the next one (:func:`.blocks.feed_blocks`:
        hashlib and os.write release the GIL, so on two cores parsing and hashing overlap); at
        most one block is in flight, which keeps memory bounded and the file in order; the
        last one is written in the commit's hop. The disk starts writing every 8 MiB
        as it is written (``writeback``), so the fsync before the commit finds little left.
        Every filesystem call (the temp file's creation too: it waits on the directory and
        the journal that other writes' fsyncs hold) runs in those threads, never on the loop.
        """
        final = self._path(object_id)
        target = _TempFile(self._temp_path(object_id), Hasher(expected))
        max_size = expected.max_size if expected is not None else None
        committed = False
        try:
            tail = await feed_blocks(chunks, target.flush, max_size=max_size)

            def commit() -> WriteResult:
                # A small body (one block, nothing flushed before) is created, hashed, written,
                # checked and committed in this one worker-thread hop instead of two.
                nonlocal committed
                target.flush(tail)
                result = target.hasher.finish()  # raises on a checksum or size mismatch
                self._commit(target.path, final, target.fd)
                committed = True
                target.close()
                return result

            return await anyio.to_thread.run_sync(commit)
        except BaseException:
            gone = [target.path, final] if committed else [target.path]
            # the caller will never record a rename that happened before a cancellation; the
            # file is closed there too (closing an unlinked file frees its blocks)
            loop = asyncio.get_running_loop()
            await asyncio.shield(loop.run_in_executor(None, target.discard, gone))
            raise

    async def write_small_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Write whole in-memory objects in one worker thread: each goes to ``tmp/``, is fsynced
        and renamed into place; every touched directory is fsynced once at the end (ids that
        share their first four hex digits share a directory, so a batch costs one directory
        sync per group instead of one per object). Nothing is kept on failure or cancellation
        (removed in a worker thread, shielded from the cancellation).
        """
        paths = [(self._path(oid), self._temp_path(oid), data) for oid, data in items]
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC

        def run() -> None:
            dirs: dict[Path, None] = {}
            for final, tmp, data in paths:
                fd = os.open(tmp, flags, 0o600)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
                parent = final.parent
                if parent not in self._known_dirs:
                    _private_dirs(parent)
                    self._known_dirs.add(parent)
                try:
                    os.replace(tmp, final)
                except FileNotFoundError:  # the directory was removed behind our back
                    _private_dirs(parent)
                    os.replace(tmp, final)
                dirs[parent] = None
            for parent in dirs:
                fsync_dir(parent)

        try:
            await anyio.to_thread.run_sync(run)
        except BaseException:
            await _remove_off_loop([path for final, tmp, _ in paths for path in (tmp, final)])
            raise

    async def compose(
        self,
        object_id: str,
        part_ids: Iterable[str],
        expected: Expected | None = None,
        *,
        sha256_hex: str | None = None,
    ) -> WriteResult:
        """Make one object of parts, in order, without copying: all or nothing.

        The parts are hard-linked (one part: the object is a link to it; several: a composite
        folder of links, see ``segments``) and read once for the checksums, unless the caller
        knows the SHA-256 already. Where the filesystem cannot link, the bytes are concatenated
        into a new file instead. Runs in one worker thread: it may read gigabytes and must not
        hold the event loop.
        """
        final = self._path(object_id)
        sources = [self._path(p) for p in part_ids]
        tmp = self._temp_path(object_id)

        def run() -> WriteResult:
            return compose_files(sources, tmp, final, expected, sha256_hex, self._commit)

        return await self._run_committing(final, tmp, run)

    async def copy(self, src_id: str, dst_id: str) -> None:
        """A hard link to the source's data (objects are immutable, so sharing is safe), or a
        kernel-side copy where the filesystem cannot link; renamed into place."""
        src = self._path(src_id)
        final = self._path(dst_id)
        tmp = self._temp_path(dst_id)

        def run() -> None:
            try:
                if src.is_dir():
                    pieces = [src / (p.name or "") for p in self._pieces_of(src, src_id)]
                    try:
                        link_segments(pieces, tmp)
                    except FileNotFoundError:
                        raise
                    except OSError:  # cannot link: one new file with all the bytes
                        remove_path(tmp)
                        with create_private(tmp) as out:
                            for piece in pieces:
                                with open(piece, "rb", buffering=0) as f:
                                    copy_all(f.fileno(), out.fileno())
                            self._commit(tmp, final, out.fileno())
                        return
                    self._commit(tmp, final, None, synced=True)
                    return
                try:
                    os.link(src, tmp)
                    synced = True  # the source's data is durable already
                except FileNotFoundError:
                    raise
                except OSError:
                    shutil.copyfile(src, tmp)
                    os.chmod(tmp, 0o600)
                    synced = False
                self._commit(tmp, final, None, synced=synced)
            except FileNotFoundError:
                if not src.exists():
                    raise ObjectMissingError(f"object {src_id} is missing") from None
                raise

        await self._run_committing(final, tmp, run)

    # ------------------------------------------------------------------ reads

    async def read(
        self, object_id: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Yield bytes ``start..end`` (inclusive) in 1 MiB chunks.

        A range beyond the end is clamped and ``end < start`` yields nothing (the route layer
        answers 416 from the recorded size).
        Because this is an async generator, ObjectMissingError surfaces on the first iteration.
        Blocking reads are used on purpose: from the page cache a 1 MiB read costs well under a
        millisecond, cheaper than a thread hop per chunk.
        """
        path = self._path(object_id)
        if start < 0:
            raise ValueError(f"invalid range start {start}")
        reader = ObjectReader(path, object_id)
        try:
            if reader.is_composite:  # listing a folder of up to 10,000 links: off the loop
                pieces = await anyio.to_thread.run_sync(reader.pieces)
            else:
                pieces = reader.pieces()
            for piece, offset, length in spans(pieces, start, end):
                fd = reader.open(piece)
                try:
                    async for block in _read_fd(fd, offset, length):
                        yield block
                finally:
                    os.close(fd)
        finally:
            self._trash.release(reader)

    async def feed(self, object_id: str, sink: Callable[[bytes], object]) -> None:
        """Read and pass on the whole object in one worker thread (no hop per block)."""
        path = self._path(object_id)

        def run() -> None:
            reader = ObjectReader(path, object_id)
            try:
                for piece in reader.pieces():
                    with open(reader.open(piece), "rb", buffering=0, closefd=True) as f:
                        while block := f.read(CHUNK_SIZE):
                            sink(block)
            finally:
                self._trash.release(reader)

        await anyio.to_thread.run_sync(run)

    async def read_range(self, object_id: str, start: int, length: int) -> bytes:
        """``pread`` a small range; shorter than ``length`` only at the end of the object."""
        path = self._path(object_id)
        if start < 0 or length < 0:
            raise ValueError(f"invalid range start={start} length={length}")
        parts: list[bytes] = []
        reader = ObjectReader(path, object_id)
        try:
            if length == 0:
                return b""
            if reader.is_composite:
                pieces = await anyio.to_thread.run_sync(reader.pieces)
            else:
                pieces = reader.pieces()
            for piece, offset, count in spans(pieces, start, start + length - 1):
                fd = reader.open(piece)
                try:
                    pos, left = offset, count
                    while left > 0:
                        block = os.pread(fd, left, pos)
                        if not block:
                            break
                        parts.append(block)
                        pos += len(block)
                        left -= len(block)
                finally:
                    os.close(fd)
        finally:
            self._trash.release(reader)
        return b"".join(parts)

    def _pieces_of(self, path: Path, object_id: str) -> list[Piece]:
        """The pieces of an object (blocking: a composite's listing)."""
        reader = ObjectReader(path, object_id)
        try:
            return reader.pieces()
        finally:
            self._trash.release(reader)

    # ------------------------------------------------------------------ housekeeping

    async def delete(self, object_id: str) -> None:
        """Unlink a file, or trash and free a composite, in a worker thread (a composite may
        hold 10,000 links); a composite a read holds stays in the trash until it closes."""
        await anyio.to_thread.run_sync(remove_path, self._path(object_id), self.trash_dir)

    async def delete_many(self, object_ids: Sequence[str]) -> list[str]:
        """Unlink in a worker thread (thousands of unlinks would stall the event loop);
        composites as in :meth:`delete`."""
        paths = [(oid, self._path(oid)) for oid in object_ids]

        def run() -> list[str]:
            gone: list[str] = []
            for oid, path in paths:
                try:
                    remove_path(path, self.trash_dir)
                except OSError:
                    continue
                gone.append(oid)
            return gone

        return await anyio.to_thread.run_sync(run)

    async def exists(self, object_id: str) -> bool:
        return self._path(object_id).exists()

    async def list_ids(self) -> list[str]:
        """Walk the two fan-out levels in a worker thread (there may be millions of files)."""

        def run() -> list[str]:
            ids: list[str] = []
            for top in os.scandir(self.objects_dir):
                if not top.is_dir(follow_symlinks=False):
                    continue
                for sub in os.scandir(top.path):
                    if not sub.is_dir(follow_symlinks=False):
                        continue
                    ids.extend(
                        e.name
                        for e in os.scandir(sub.path)
                        if OBJECT_ID_RE.fullmatch(e.name)
                        and (e.is_file(follow_symlinks=False) or e.is_dir(follow_symlinks=False))
                    )
            return ids

        return await anyio.to_thread.run_sync(run)

    async def sweep_trash(self) -> int:
        """Remove every deleted composite no read holds any more (however recently deleted),
        in a worker thread; returns how many went. Those still held stay for the next sweep."""
        return await anyio.to_thread.run_sync(self._trash.sweep)

    async def sweep_temp(self, older_than: float = 0.0) -> int:
        """Remove leftovers in ``tmp/`` last changed more than ``older_than`` seconds ago (by
        ctime: a hard link made in ``tmp/`` keeps its source's old mtime).

        The default (0) removes everything, which is right at start-up of the only process using
        ``root``; when several processes share ``root``, pass a margin (e.g. 3600) so in-flight
        writes of the others survive.
        """

        return await anyio.to_thread.run_sync(remove_stale, self.tmp_dir, older_than)


async def _remove_off_loop(paths: list[Path]) -> None:
    """Remove ``paths`` (files or composite folders; missing ones are fine) in a worker thread,
    shielded from a cancellation of the caller: the clean-up of a failed or cancelled write
    finishes before its error propagates, and never holds the event loop."""

    def run() -> None:
        for path in paths:
            remove_path(path)

    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(run)


async def _read_fd(fd: int, start: int, length: int) -> AsyncIterator[bytes]:
    """``length`` bytes of an open file from ``start``, in 1 MiB blocks (shorter at its end)."""
    pos, remaining = start, length
    while remaining > 0:
        block = os.pread(fd, min(CHUNK_SIZE, remaining), pos)
        if not block:
            break
        pos += len(block)
        remaining -= len(block)
        yield block


class _TempFile:
    """The temp file of one :meth:`LocalStore.write`, created by its first flush (in a worker
    thread); ``flush``, ``close`` and ``discard`` run in worker threads, one at a time (a lock
    orders a discard after a flush still running when its write was cancelled twice)."""

    def __init__(self, path: Path, hasher: Hasher) -> None:
        self.path = path
        self.hasher = hasher
        self.fd: int | None = None
        self._writeback: EarlyWriteback | None = None
        self._lock = threading.Lock()
        self._discarded = False

    def flush(self, block: list[bytes]) -> None:
        """Create the file if not yet done, then hash and write ``block`` (may be empty);
        nothing once discarded."""
        with self._lock:
            if not self._discarded:
                self._flush(block)

    def _flush(self, block: list[bytes]) -> None:
        if self.fd is None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            self.fd = os.open(self.path, flags, 0o600)
            self._writeback = EarlyWriteback(self.fd)
        if not block:
            return
        for piece in block:
            self.hasher.update(piece)
        written = write_pieces(self.fd, block)  # os.writev: the pieces are never joined
        assert self._writeback is not None
        self._writeback.wrote(written)

    def close(self) -> None:
        """Close the file if it is open (closing twice is fine)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def discard(self, paths: list[Path]) -> None:
        """Close the file and remove ``paths`` (the temp file, and the object if it was renamed
        into place): the last close of an unlinked file frees its blocks, so both happen here,
        in the worker thread, never on the event loop."""
        with self._lock:
            self._discarded = True
            self._close()
        for path in paths:
            remove_path(path)
