"""Request bodies that stream in 1 MiB chunks with a known length (so httpx sends a
``Content-Length``), report bytes as they go out, and stop promptly when a transfer is
cancelled.

httpx treats an object with ``__iter__`` (and no ``read``) as a chunk iterator, and finds its
length through ``tell()``/``seek(0, SEEK_END)``; a fresh object per attempt replays the body.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Protocol

CHUNK = 1024 * 1024

OnBytes = Callable[[int], None]


class Flag(Protocol):
    def is_set(self) -> bool: ...


class Sink(Protocol):
    """Something fed every chunk as it goes out (an incremental checksum)."""

    def update(self, data: bytes) -> None: ...


class AnyFlag:
    """Set when any of its flags is (a file's own cancel flag or the whole call's)."""

    def __init__(self, *flags: Flag) -> None:
        self._flags = flags

    def is_set(self) -> bool:
        return any(f.is_set() for f in self._flags)


class TransferCancelled(Exception):
    """Raised inside a request body when the transfer it belongs to was cancelled."""


class _SizedBody:
    length: int

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.length if whence == os.SEEK_END else 0


class FileSlice(_SizedBody):
    """``length`` bytes of the open file ``fd`` from ``offset``, read with ``os.pread`` (so
    many slices of one file can be sent at once from one descriptor), 1 MiB per read and
    never held whole. ``digest``: fed each chunk as it goes out (the checksum of exactly the
    bytes sent, computed in the same pass)."""

    def __init__(
        self,
        fd: int,
        offset: int,
        length: int,
        *,
        on_bytes: OnBytes | None = None,
        cancel: Flag | None = None,
        digest: Sink | None = None,
    ) -> None:
        self.fd = fd
        self.offset = offset
        self.length = length
        self._on_bytes = on_bytes
        self._cancel = cancel
        self._digest = digest

    def __iter__(self) -> Iterator[bytes]:
        pos, end = self.offset, self.offset + self.length
        while pos < end:
            if self._cancel is not None and self._cancel.is_set():
                raise TransferCancelled("transfer cancelled")
            data = os.pread(self.fd, min(CHUNK, end - pos), pos)
            if not data:
                raise OSError(f"file shrank while uploading (expected {self.length} bytes)")
            if self._digest is not None:
                self._digest.update(data)
            yield data
            pos += len(data)
            if self._on_bytes is not None:
                self._on_bytes(len(data))


class BytesBody(_SizedBody):
    """A bytes-like buffer sent in 1 MiB chunks (one huge ``bytes`` body makes httpcore copy
    quadratically)."""

    def __init__(
        self,
        data: bytes | bytearray | memoryview,
        *,
        on_bytes: OnBytes | None = None,
        cancel: Flag | None = None,
    ) -> None:
        self._view = memoryview(data).cast("B")
        self.length = len(self._view)
        self._on_bytes = on_bytes
        self._cancel = cancel

    def __iter__(self) -> Iterator[bytes]:
        for pos in range(0, self.length, CHUNK):
            if self._cancel is not None and self._cancel.is_set():
                raise TransferCancelled("transfer cancelled")
            chunk = bytes(self._view[pos : pos + CHUNK])
            yield chunk
            if self._on_bytes is not None:
                self._on_bytes(len(chunk))
