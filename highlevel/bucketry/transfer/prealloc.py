"""Reserving a download's disk blocks before its bytes arrive.

On Linux, ``fallocate(FALLOC_FL_KEEP_SIZE)`` gives the partial file its remaining blocks up
front, beyond its end: the file's size still counts only the bytes written (resuming reads it),
but each write then lands in blocks the file system already has, instead of reserving them
page by page (ext4's delayed allocation). Measured writing 1 GiB in 1 MiB writes on ext4:
0.10 instead of 0.16 s of CPU and about a third less wall time, ``fallocate`` included.

Purely an optimisation: where the call does not exist (macOS, Windows, a libc without it) or
the file system refuses it (``EOPNOTSUPP``, no room, ...), nothing happens and the download
writes as before; a disk that is really full still fails the write itself. A partial file
kept for a later ``continue_`` holds its blob's size on disk until it is resumed (truncating
it to its length, as resuming does, frees what lies beyond) or deleted. glibc's
``posix_fallocate`` is not used: where the file system cannot preallocate it writes a zero
into every block instead, doubling the writes.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

#: ``FALLOC_FL_KEEP_SIZE``: allocate beyond the end without changing the file's size.
KEEP_SIZE = 0x01

Fallocate = Callable[[int, int, int, int], int]


def _load() -> Fallocate | None:
    """libc's ``fallocate(fd, mode, offset, len)`` on Linux, else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):  # pragma: no cover - a libc without it
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    fn.restype = ctypes.c_int
    call: Fallocate = fn
    return call


_fallocate = _load()


def reserve(fd: int, offset: int, length: int) -> bool:
    """Allocate ``length`` bytes of blocks from ``offset`` in the open file ``fd`` without
    changing its size. Returns whether the file system did; never raises (see the module
    docstring: where it cannot, the writes simply allocate as they go)."""
    if _fallocate is None or length <= 0:
        return False
    return _fallocate(fd, KEEP_SIZE, offset, length) == 0
