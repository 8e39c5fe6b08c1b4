"""Composite objects of the local store: a multipart blob kept as its parts, never copied.

A composite object is a directory at the object's path holding the parts as hard links named
``000001``, ``000002``, … in order. Completing a multipart upload then costs one link per part
and one read of the bytes for the SHA-256, instead of copying every byte into a new file and
syncing it a second time. The part objects are deleted as usual afterwards; their data lives on
through the links. Sharing inodes is safe because objects are immutable: every write goes to a
new temp file that is renamed over the old name, so no object file is ever modified in place.

Caveat: a plain file stays readable through an open descriptor after it is deleted; a composite
read opens its segments one after the other, so deleting the object in the middle of a download
cuts that download short (the response ends early and the client sees a truncated body).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from .base import ObjectMissingError

SEGMENT_WIDTH = 6  # up to 999,999 parts; uploads allow 10,000


def segment_name(index: int) -> str:
    return f"{index:0{SEGMENT_WIDTH}d}"


def fsync_dir(path: Path) -> None:
    """Make directory entries durable (a rename, a new link), not only the data."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def segments(path: Path, object_id: str) -> list[tuple[Path, int]]:
    """The files holding an object in order, with their sizes: the object's own file, or the
    segments of a composite. Raises ObjectMissingError if the object is absent."""
    try:
        st = os.stat(path)
        if not stat.S_ISDIR(st.st_mode):
            return [(path, st.st_size)]
        names = sorted(n for n in os.listdir(path) if n.isdigit())
        return [(path / n, os.stat(path / n).st_size) for n in names]
    except FileNotFoundError:
        raise ObjectMissingError(f"object {object_id} is missing") from None


def spans(
    pieces: Sequence[tuple[Path, int]], start: int, end: int | None
) -> Iterator[tuple[Path, int, int]]:
    """``(file, offset, length)`` for the bytes ``start..end`` (inclusive, None = to the end)
    of the concatenation of ``pieces``; a range past the end is clamped."""
    pos = 0
    for path, size in pieces:
        lo, hi = pos, pos + size  # this piece holds [lo, hi)
        pos = hi
        if size == 0 or hi <= start:
            continue
        if end is not None and lo > end:
            return
        first = max(start, lo)
        last = hi if end is None else min(end + 1, hi)
        yield path, first - lo, last - first


def link_segments(sources: Sequence[Path], folder: Path) -> None:
    """Create ``folder`` holding hard links to ``sources`` as its numbered segments, synced.

    Raises FileNotFoundError if a source is gone, other OSErrors if the filesystem cannot link
    (the caller then copies instead).
    """
    folder.mkdir()
    for index, src in enumerate(sources, 1):
        os.link(src, folder / segment_name(index))
    fsync_dir(folder)


def remove_path(path: Path, trash: Path | None = None) -> None:
    """Remove a file or a composite directory; missing is fine.

    A directory is first renamed into ``trash`` (atomic: readers never see a half-deleted
    object), then removed; a leftover there is swept with the other temp files.
    """
    try:
        os.unlink(path)
        return
    except FileNotFoundError:
        return
    except (IsADirectoryError, PermissionError):
        if not path.is_dir():
            raise
    target = path
    if trash is not None:
        target = trash / f"{path.name}.{uuid.uuid4().hex}.gone"
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(target)
