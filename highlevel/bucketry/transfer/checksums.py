"""SHA-256 of files and file ranges, read in 1 MiB chunks (never whole in memory).

Why a separate pass before sending: the server verifies ``X-Checksum-SHA256`` while it streams
the body, so the header must be known before the first byte goes out. The extra read comes
from the page cache (memcpy speed); the cost that matters is the SHA-256 itself, which any
end-to-end check pays once. ``hashlib`` releases the GIL on large buffers, so parts hashed in
worker threads hash in parallel.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from pathlib import Path

CHUNK = 1024 * 1024


def sha256_range(fd: int, offset: int, length: int) -> str:
    """Hex SHA-256 of ``length`` bytes of the open file ``fd`` from ``offset`` (``os.pread``)."""
    h = hashlib.sha256()
    pos, end = offset, offset + length
    while pos < end:
        data = os.pread(fd, min(CHUNK, end - pos), pos)
        if not data:
            raise OSError(f"file shrank while reading (expected {length} bytes from {offset})")
        h.update(data)
        pos += len(data)
    return h.hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a whole file."""
    h = hashlib.sha256()
    with Path(path).open("rb", buffering=0) as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    """The SHA-256 of ``data`` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


class ThreadedHasher:
    """SHA-256 fed from the receiving thread but computed in a worker: the download loop only
    queues each chunk (bytes are immutable), so receiving, writing and hashing overlap on two
    cores. ``hexdigest()`` waits for the queue to drain; ``close()`` (idempotent) stops the
    worker on error paths."""

    _STOP: object = object()

    def __init__(self, start: hashlib._Hash | None = None) -> None:
        self._hash = start or hashlib.sha256()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=256)
        self._thread = threading.Thread(target=self._run, name="bucketry-sha256", daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not self._STOP:
            self._hash.update(chunk)  # type: ignore[arg-type]

    def update(self, chunk: bytes) -> None:
        """Queue ``chunk`` for hashing (blocks while 256 chunks wait)."""
        self._queue.put(chunk)

    def close(self) -> None:
        """Stop the worker (idempotent); the digest so far stays readable."""
        if not self._closed:
            self._closed = True
            self._queue.put(self._STOP)
            self._thread.join()

    def hexdigest(self) -> str:
        """The SHA-256 of everything queued, after the queue drained."""
        self.close()
        return self._hash.hexdigest()
