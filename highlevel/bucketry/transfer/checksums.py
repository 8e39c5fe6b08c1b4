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
    return hashlib.sha256(data).hexdigest()
