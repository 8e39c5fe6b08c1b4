"""Early writeback: hand a file's written bytes to the disk while the rest is still arriving.

Every object the store keeps is fsynced before it is committed. Left alone, the kernel keeps a
large upload's bytes as dirty pages (on a machine with gigabytes of memory, all of them) and the
final fsync then writes the whole file at once: a 1 GiB upload waited about 0.45 s of its 0.8 to 1 s
in that fsync. :class:`EarlyWriteback` asks the kernel to start writing each
:data:`WRITEBACK_EVERY` bytes as soon as they are written (Linux ``sync_file_range`` with
``SYNC_FILE_RANGE_WRITE``, which does not wait for the disk), so the disk works while the network
delivers the next bytes and the final fsync finds little left to do. Measured on the development
VM, 1 GiB written in 1 MiB blocks then fsynced: 0.76 to 0.97 s before, 0.46 to 0.60 s with this.

It is only a hint: durability still comes from the fsync. Where the call does not exist (not
Linux, no libc) or fails (a filesystem that refuses it), nothing happens and the fsync does all
the work, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable

#: Bytes written between two writeback requests.
WRITEBACK_EVERY = 8 * 1024 * 1024

_SYNC_FILE_RANGE_WRITE = 2  # <fcntl.h>: start writeback of dirty pages, do not wait for it

StartWriteback = Callable[[int, int, int], bool]


def _load_sync_file_range() -> StartWriteback | None:
    """The libc ``sync_file_range`` as ``(fd, offset, length) -> ok``, or None if absent."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        func = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    func.restype = ctypes.c_int

    def start(fd: int, offset: int, length: int) -> bool:
        return bool(func(fd, offset, length, _SYNC_FILE_RANGE_WRITE) == 0)

    return start


#: The platform's writeback call (None: not available). Tests replace it to watch the calls.
start_writeback: StartWriteback | None = _load_sync_file_range()


class EarlyWriteback:
    """Tracks the bytes written to ``fd`` from offset 0 and starts their writeback every
    ``every`` bytes (see the module docstring). Call :meth:`wrote` after each write, from the
    thread that writes; it never raises: a refused call turns the hint off for this file."""

    def __init__(self, fd: int, every: int = WRITEBACK_EVERY) -> None:
        self._fd = fd
        self._every = every
        self._written = 0  # bytes written so far
        self._started = 0  # bytes whose writeback was requested
        self._on = start_writeback is not None

    def wrote(self, nbytes: int) -> None:
        """Record ``nbytes`` more bytes written; start the writeback of the ones not yet
        handed over once there are at least ``every`` of them."""
        self._written += nbytes
        if not self._on or self._written - self._started < self._every:
            return
        start = start_writeback
        if start is None or not start(self._fd, self._started, self._written - self._started):
            self._on = False
            return
        self._started = self._written
