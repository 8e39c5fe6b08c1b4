"""Composite objects of the local store: a multipart blob kept as its parts, never copied.

A composite object is a directory at the object's path holding the parts as hard links named
``000001``, ``000002``, … in order. Completing a multipart upload then costs one link per part
and one read of the bytes for the SHA-256, instead of copying every byte into a new file and
syncing it a second time. The part objects are deleted as usual afterwards; their data lives on
through the links. Sharing inodes is safe because objects are immutable: every write goes to a
new temp file that is renamed over the old name, so no object file is ever modified in place.

Reads hold a descriptor of the folder and open segments relative to it, and a deleted composite
is only renamed into the store's trash, emptied after a grace period (``maintenance.TRASH_GRACE_SECONDS``):
so, like a plain file read through an open descriptor, a download that started before the delete
(or the overwrite) finishes, unless it lasts longer than the grace period.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .base import ObjectMissingError

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
    object is deleted meanwhile. Raises ObjectMissingError if it is absent."""

    def __init__(self, path: Path, object_id: str) -> None:
        self.object_id = object_id
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ObjectMissingError(f"object {object_id} is missing") from None
        st = os.fstat(self._fd)
        self.is_composite = stat.S_ISDIR(st.st_mode)
        self._pieces: list[Piece] | None = None if self.is_composite else [Piece(None, st.st_size)]

    def pieces(self) -> list[Piece]:
        """The object's pieces in order (for a composite: a listing, so call it off the loop)."""
        if self._pieces is None:
            names = sorted(n for n in os.listdir(self._fd) if n.isdigit())
            self._pieces = [Piece(n, os.stat(n, dir_fd=self._fd).st_size) for n in names]
        return self._pieces

    def open(self, piece: Piece) -> int:
        """A new descriptor for ``piece``, for the caller to close."""
        if piece.name is None:
            return os.dup(self._fd)
        try:
            return os.open(piece.name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._fd)
        except FileNotFoundError:  # deleted, and the trash emptied since the read began
            raise ObjectMissingError(f"object {self.object_id} was deleted") from None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
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

    With ``trash``, a folder is renamed there (atomic: nobody sees a half-deleted object) and
    left for :func:`remove_stale`, so reads that opened it can finish; without, it goes now.
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
        with contextlib.suppress(FileNotFoundError):
            os.rename(path, trash / f"{path.name}.{uuid.uuid4().hex}")
        return
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(path)


def remove_stale(folder: Path, older_than: float) -> int:
    """Remove the entries of ``folder`` (files or folders) last changed more than ``older_than``
    seconds ago, all of them for 0; returns how many went.

    Ages go by ctime: a rename (into the trash) or a new hard link (a temp link to an old part)
    updates it, where the mtime would be the data's old one.
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
