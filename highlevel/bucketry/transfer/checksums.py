"""Transfer checksums of files, file ranges and buffers, read in 1 MiB chunks.

The server verifies ``X-Checksum-CRC32C`` (the default) or ``X-Checksum-SHA256`` while it
streams the body, so the header must be known before the first byte goes out. Single PUTs up
to :data:`BUFFERED_MAX` and SHA-256 multipart parts are therefore read once into memory
(:func:`read_with_digest`, the digest computed from the chunks as they are read) and sent from
there: no pass over the file before sending. Only a single PUT larger than that (up to
``multipart_threshold``) hashes its file first. CRC32C multipart parts stream instead, and are
compared with the CRC the server measured (:mod:`.multipart`). ``hashlib`` and
``google-crc32c`` release the GIL on large buffers, so parts hashed in worker threads hash in
parallel.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from pathlib import Path
from typing import Any

from .crc import crc32c, to_wire

CHUNK = 1024 * 1024
#: A single PUT up to this size is read into memory once and sent from there (its checksum
#: computed during the read); a larger one (up to ``multipart_threshold``) streams from the
#: file after a checksum pass. 8 MiB: a folder upload holds at most ``file_concurrency`` x 8 MiB.
BUFFERED_MAX = 8 * CHUNK


class Digest:
    """An incremental ``"crc32c"`` or ``"sha256"`` checksum with the wire form of its header
    (base64 big-endian CRC32C, hex SHA-256)."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self.crc = 0
        self._sha: Any = hashlib.sha256() if algorithm == "sha256" else None

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Add ``data`` to the checksum."""
        if self._sha is not None:
            self._sha.update(data)
        else:
            self.crc = crc32c(data, self.crc)

    def wire(self) -> str:
        """The value as its header carries it."""
        return str(self._sha.hexdigest()) if self._sha is not None else to_wire(self.crc)


def digest_bytes(data: bytes | bytearray | memoryview, algorithm: str) -> str:
    """The wire form of ``data``'s ``algorithm`` checksum."""
    d = Digest(algorithm)
    d.update(data)
    return d.wire()


def split_headers(algorithm: str | None, value: str | None) -> tuple[str | None, str | None]:
    """``(X-Checksum-CRC32C, X-Checksum-SHA256)`` values for a checksum (None: not sent)."""
    if algorithm is None or value is None:
        return None, None
    return (value, None) if algorithm == "crc32c" else (None, value)


_buffers = threading.local()


def thread_buffer(length: int) -> memoryview:
    """This thread's reusable buffer, at least ``length`` bytes (grown when needed), as a view
    of exactly ``length`` bytes. One buffer per worker thread, reused part after part, keeps
    the client's memory at ``threads x part size``: fresh buffers per part leave the
    allocator's per-thread arenas fragmented (over 250 MiB measured for 4 x 8 MiB)."""
    buf: bytearray | None = getattr(_buffers, "buf", None)
    if buf is None or len(buf) < length:
        _buffers.buf = buf = bytearray(length)
    return memoryview(buf)[:length]


def read_with_digest(
    fd: int, offset: int, length: int, algorithm: str | None
) -> tuple[memoryview, Digest | None]:
    """``length`` bytes of ``fd`` from ``offset``, read in 1 MiB reads (``os.pread``) into
    this thread's reusable buffer (:func:`thread_buffer`: valid until the thread reads
    again), with their ``algorithm`` checksum computed from each piece as it is read (None:
    no checksum; ``google-crc32c`` takes ``bytes`` only, hence a read then a copy into the
    buffer). Raises ``OSError`` if the file is shorter than expected."""
    digest = Digest(algorithm) if algorithm else None
    view = thread_buffer(length)
    pos = 0
    while pos < length:
        data = os.pread(fd, min(CHUNK, length - pos), offset + pos)
        if not data:
            raise OSError(f"file shrank while reading (expected {length} bytes from {offset})")
        if digest is not None:
            digest.update(data)
        view[pos : pos + len(data)] = data
        pos += len(data)
    return view, digest


def digest_range(fd: int, offset: int, length: int, algorithm: str) -> str:
    """The wire form of the ``algorithm`` checksum of ``length`` bytes of ``fd`` from
    ``offset``, read in 1 MiB chunks and not kept."""
    d = Digest(algorithm)
    pos, end = offset, offset + length
    while pos < end:
        data = os.pread(fd, min(CHUNK, end - pos), pos)
        if not data:
            raise OSError(f"file shrank while reading (expected {length} bytes from {offset})")
        d.update(data)
        pos += len(data)
    return d.wire()


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


#: Chunks a :class:`ThreadedHasher` holds at most while its worker catches up: 16 MiB with the
#: SDK's reads of up to 1 MiB (``bucketry._wide_reads``), where SHA-256 without the CPU's SHA
#: instructions is slower than loopback.
HASH_QUEUE = 16


class ThreadedHasher:
    """SHA-256 fed from the receiving thread but computed in a worker: the download loop only
    queues each chunk (bytes are immutable), so receiving, writing and hashing overlap on two
    cores. At most :data:`HASH_QUEUE` chunks wait (``update`` blocks beyond), so memory stays
    bounded when hashing is the slower side. ``hexdigest()`` waits for the queue to drain;
    ``close()`` (idempotent) stops the worker on error paths."""

    _STOP: object = object()

    def __init__(self, start: hashlib._Hash | None = None) -> None:
        self._hash = start or hashlib.sha256()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=HASH_QUEUE)
        self._thread = threading.Thread(target=self._run, name="bucketry-sha256", daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not self._STOP:
            self._hash.update(chunk)  # type: ignore[arg-type]

    def update(self, chunk: bytes) -> None:
        """Queue ``chunk`` for hashing (blocks while :data:`HASH_QUEUE` chunks wait)."""
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
