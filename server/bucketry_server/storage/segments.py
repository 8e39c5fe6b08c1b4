"""Composite objects of the local store: a multipart blob kept as its parts, never copied.

A composite object is a directory at the object's path holding the parts as hard links named
``000001``, ``000002``, … in order. Completing a multipart upload then costs one link per part
and one read of the bytes for the SHA-256, instead of copying every byte into a new file and
syncing it a second time. The part objects are deleted as usual afterwards; their data lives on
through the links. Sharing inodes is safe because objects are immutable: every write goes to a
new temp file that is renamed over the old name, so no object file is ever modified in place.

Reads hold a descriptor of the folder and open segments relative to it, with a shared ``flock``
on it while open (``flock`` works across processes, so across the ``--workers`` too). Deleting
or overwriting a composite renames its folder into the store's trash (atomic: nobody sees half an
object) and then tries an exclusive lock without waiting: got it, the folder goes at once and its
bytes are freed; busy, a read is still going (like a plain file read through an open
descriptor, it finishes), and the entry is retried by every :func:`sweep_trash` (the janitor's
rounds, the start-up sweep, and a read of a deleted composite when it closes) until its last
reader has closed. A reader that opened the folder just before a deleter locked and removed it
finds the lock taken or the folder unlinked and raises ObjectMissingError, never a partial object
(segments are removed in order, so a half-removed folder lacks its first segment).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .base import ObjectMissingError

log = logging.getLogger("bucketry_server.storage")

SEGMENT_WIDTH = 6  # up to 999,999 parts; uploads allow 10,000


def segment_name(index: int) -> str:
    return f"{index:0{SEGMENT_WIDTH}d}"


#: Buffers one ``writev`` takes (the platform's IOV_MAX, 1024 on Linux).
_IOV_MAX = min(os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 16, 1024) or 16


def write_pieces(fd: int, pieces: Sequence[bytes]) -> int:
    """Write ``pieces`` to ``fd`` in order without joining them (``os.writev``, resumed after a
    short write); the bytes written (all of them)."""
    views = [memoryview(piece) for piece in pieces if piece]
    total = first = 0
    while first < len(views):
        done = os.writev(fd, views[first : first + _IOV_MAX])
        total += done
        while first < len(views) and done >= len(views[first]):
            done -= len(views[first])
            first += 1
        if done:
            views[first] = views[first][done:]
    return total


def fsync_dir(path: Path) -> None:
    """Make directory entries durable (a rename, a new link), not only the data."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Piece:
    name: str | None  # a segment of a composite, or None: the object is a single file
    size: int


class ObjectReader:
    """An object opened for reading: its bytes stay readable until :meth:`close`, even if the
    object is deleted meanwhile (a composite's folder is held by a shared ``flock``, which keeps
    deleters from removing it). Raises ObjectMissingError if the object is absent, or if it is
    a composite that a deleter is removing or removed after this open found it.

    Close it (``with``): an open reader keeps a deleted composite's bytes on disk. One dropped
    unclosed is closed when it is collected. Opening never blocks (the lock is not waited for).
    """

    def __init__(self, path: Path, object_id: str) -> None:
        self.object_id = object_id
        self.path = path
        self._fd = -1
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ObjectMissingError(f"object {object_id} is missing") from None
        try:
            st = os.fstat(self._fd)
            self.is_composite = stat.S_ISDIR(st.st_mode)
            if self.is_composite:
                self._hold_shared()
        except BaseException:
            self.close()
            raise
        self._identity = (st.st_dev, st.st_ino)
        self._pieces: list[Piece] | None = None if self.is_composite else [Piece(None, st.st_size)]

    def _hold_shared(self) -> None:
        """Take the shared lock of a composite's folder, or raise ObjectMissingError if it is
        being removed (a deleter holds the exclusive lock) or was removed between the open and
        the lock (the folder is unlinked)."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # renamed into the trash and being removed right now
            raise ObjectMissingError(f"object {self.object_id} was deleted") from None
        if os.fstat(self._fd).st_nlink == 0:  # removed before our lock: an empty husk
            raise ObjectMissingError(f"object {self.object_id} was deleted")

    def pieces(self) -> list[Piece]:
        """The object's pieces in order (for a composite: a listing, so call it off the loop).
        Raises ObjectMissingError for a composite whose segments are not all there (one a
        deleter began removing and gave up on: segments go in order, the first one first)."""
        if self._pieces is None:
            names = sorted(n for n in os.listdir(self._fd) if n.isdigit())
            if not names or names != [segment_name(i) for i in range(1, len(names) + 1)]:
                raise ObjectMissingError(f"object {self.object_id} was deleted")
            self._pieces = [Piece(n, os.stat(n, dir_fd=self._fd).st_size) for n in names]
        return self._pieces

    def open(self, piece: Piece) -> int:
        """A new descriptor for ``piece``, for the caller to close. Raises ObjectMissingError
        if the segment is gone (never while this reader holds its composite's lock)."""
        if piece.name is None:
            return os.dup(self._fd)
        try:
            return os.open(piece.name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._fd)
        except FileNotFoundError:
            raise ObjectMissingError(f"object {self.object_id} was deleted") from None

    def was_deleted(self) -> bool:
        """Whether the object's path no longer names what this reader opened (deleted or
        overwritten since); a stat, usable before or after :meth:`close`."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return True
        return (st.st_dev, st.st_ino) != self._identity

    def close(self) -> None:
        """Close the descriptor, which releases the lock; closing twice is fine."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A reader nobody closed must not pin a deleted composite's bytes for ever.
        if getattr(self, "_fd", -1) >= 0:
            with contextlib.suppress(Exception):  # at interpreter exit os may be half gone
                self.close()


def spans(pieces: Sequence[Piece], start: int, end: int | None) -> Iterator[tuple[Piece, int, int]]:
    """``(piece, offset, length)`` for the bytes ``start..end`` (inclusive, None = to the end)
    of the concatenation of ``pieces``; a range past the end is clamped."""
    pos = 0
    for piece in pieces:
        size = piece.size
        lo, hi = pos, pos + size  # this piece holds [lo, hi)
        pos = hi
        if size == 0 or hi <= start:
            continue
        if end is not None and lo > end:
            return
        first = max(start, lo)
        last = hi if end is None else min(end + 1, hi)
        yield piece, first - lo, last - first


def link_segments(sources: Sequence[Path], folder: Path) -> None:
    """Create ``folder`` holding hard links to ``sources`` as its numbered segments, synced.

    Raises FileNotFoundError if a source is gone, other OSErrors if the filesystem cannot link
    (the caller then copies instead).
    """
    folder.mkdir(mode=0o700)
    for index, src in enumerate(sources, 1):
        os.link(src, folder / segment_name(index))
    fsync_dir(folder)


def remove_path(path: Path, trash: Path | None = None) -> None:
    """Remove a file or a composite folder; missing is fine.

    With ``trash``, a folder is renamed there (atomic: nobody sees a half-deleted object), then
    removed at once unless a reader holds it (:func:`free_trash_entry`); a held one is left for
    :func:`sweep_trash`. Without ``trash`` (temp folders nobody reads), a folder goes now.
    """
    try:
        os.unlink(path)
        return
    except FileNotFoundError:
        return
    except (IsADirectoryError, PermissionError):
        if not path.is_dir():
            raise
    if trash is not None:
        entry = trash / f"{path.name}.{uuid.uuid4().hex}"
        try:
            os.rename(path, entry)
        except FileNotFoundError:
            return
        with contextlib.suppress(OSError):  # deleted all the same: a sweep retries it
            free_trash_entry(entry)
        return
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(path)


def free_trash_entry(entry: Path) -> bool:
    """Remove a deleted composite's folder now if no reader holds it (an exclusive ``flock``
    taken without waiting); False if one does. Segments go in order, then the folder (see
    :meth:`ObjectReader.pieces`); a plain file is unlinked. Raises OSError on other failures
    (the entry then stays for the next sweep)."""
    try:
        fd = os.open(entry, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return True
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry)
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        for name in sorted(os.listdir(fd)):
            try:
                os.unlink(name, dir_fd=fd)
            except FileNotFoundError:
                continue
            except IsADirectoryError:  # never made by the store, but must not stick for ever
                shutil.rmtree(entry / name)
        with contextlib.suppress(FileNotFoundError):
            os.rmdir(entry)
        return True
    finally:
        os.close(fd)  # releases the lock


def sweep_trash(trash: Path) -> tuple[int, int]:
    """Try every entry of ``trash`` with :func:`free_trash_entry` (no waiting, no grace: an
    entry no reader holds goes, however recent); ``(removed, still held)``. An entry that
    fails otherwise is counted as held and retried next time."""
    removed = held = 0
    for entry in os.scandir(trash):
        try:
            freed = free_trash_entry(Path(entry.path))
        except OSError:
            freed = False
        if freed:
            removed += 1
        else:
            held += 1
    return removed, held


class TrashSweeper:
    """Sweeps a store's trash (:func:`sweep_trash`): on demand, and when a read of a deleted
    composite closes (it was left in the trash for that read)."""

    def __init__(self, trash: Path) -> None:
        self.trash = trash
        self._queued = False  # a sweep is queued in a worker thread and has not started yet

    def sweep(self) -> int:
        """Sweep now (blocking); how many entries went. Logs those still held by reads."""
        removed, held = sweep_trash(self.trash)
        if held:
            log.info("trash: %d deleted composites still read, kept", held)
        return removed

    def release(self, reader: ObjectReader) -> None:
        """Close ``reader``; if it held a composite deleted meanwhile, sweep: in this thread
        when called off the event loop, else in a worker thread without waiting for it (one
        queued at a time), so the loop never waits for the unlinks. On the loop, a reader of
        a plain file deleted meanwhile is closed in a worker thread (its last close frees the
        file's blocks)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # a worker thread
            loop = None
        if loop is not None and not reader.is_composite and reader.was_deleted():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down: close here
                loop.run_in_executor(None, reader.close)
                return
        reader.close()
        if not reader.is_composite or not reader.was_deleted():
            return
        if loop is None:
            self._sweep_quietly()
            return
        if self._queued:
            return
        self._queued = True
        try:
            loop.run_in_executor(None, self._sweep_quietly)
        except RuntimeError:  # the loop is shutting down: the next sweep will do
            self._queued = False

    def _sweep_quietly(self) -> None:
        self._queued = False
        try:
            self.sweep()
        except OSError:
            log.warning("could not sweep %s; retried next round", self.trash, exc_info=True)


def remove_stale(folder: Path, older_than: float) -> int:
    """Remove the entries of ``folder`` (files or folders) last changed more than ``older_than``
    seconds ago, all of them for 0; returns how many went.

    Ages go by ctime: a new hard link (a temp link to an old part) updates it, where the
    mtime would be the data's old one.
    """
    cutoff = time.time() - older_than
    removed = 0
    for entry in os.scandir(folder):
        try:
            if older_than and entry.stat(follow_symlinks=False).st_ctime > cutoff:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue
        removed += 1
    return removed
