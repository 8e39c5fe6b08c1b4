"""The contract every managed-blob backend fulfils.

Blob data lives under opaque object ids chosen by the server (``obj_<hex>``); the database maps
keys to object ids, so no user-supplied key ever becomes a filesystem path or a provider key.
A write becomes visible only when it is complete: readers never see a partial object, and a
failed write leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass

import anyio.to_thread

from ..crc32c import crc32c, to_wire


@dataclass(frozen=True)
class WriteResult:
    """What a completed write measured while streaming the bytes through."""

    size: int
    md5_hex: str | None  # only when the client sent Content-MD5 (md5 costs ~2x sha256 here)
    sha256_hex: str | None  # only when asked for (``Expected.sha256``)
    #: CRC32C of the bytes (None when the write did not stream them, e.g. a compose whose
    #: parts were hashed earlier: the caller then combines the parts' CRCs).
    crc32c: int | None = None


class StorageError(Exception):
    """A backend failed for a reason the client cannot fix (maps to 5xx)."""


class ObjectMissingError(StorageError):
    """The object id is not in the store (a database/store inconsistency)."""


class ChecksumMismatchError(Exception):
    """The streamed bytes did not match the checksum the client declared; nothing was stored."""

    def __init__(self, algorithm: str, expected: str, actual: str | None) -> None:
        super().__init__(f"{algorithm} mismatch: expected {expected}, got {actual}")
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual


class TooLargeError(Exception):
    """The body exceeded the size limit given to the write; nothing was stored."""


@dataclass(frozen=True)
class Expected:
    """Checksums/size the client declared; a write that does not match stores nothing."""

    md5_hex: str | None = None
    sha256_hex: str | None = None
    max_size: int | None = None
    crc32c: int | None = None
    #: Compute the SHA-256 (always when ``sha256_hex`` is given). The HTTP write paths ask
    #: for it only when the client sent ``X-Checksum-SHA256``: the CRC32C is the default
    #: check, and a SHA-256 costs ~1.6 s of CPU per GiB here.
    sha256: bool = True

    def wants_sha256(self) -> bool:
        """Whether a write must compute the SHA-256 of its bytes."""
        return self.sha256 or self.sha256_hex is not None


class Hasher:
    """Incremental crc32c + size, md5 and sha256 when asked, checked against what the client
    declared (the CRC32C costs ~0.1 ms per MiB with the CPU's instruction: always computed)."""

    def __init__(self, expected: Expected | None = None) -> None:
        self.expected = expected or Expected()
        self._md5 = hashlib.md5(usedforsecurity=False) if self.expected.md5_hex else None
        self._sha = hashlib.sha256() if self.expected.wants_sha256() else None
        self._crc = 0
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.expected.max_size is not None and self.size > self.expected.max_size:
            raise TooLargeError(f"body larger than {self.expected.max_size} bytes")
        if self._md5 is not None:
            self._md5.update(chunk)
        if self._sha is not None:
            self._sha.update(chunk)
        self._crc = crc32c(chunk, self._crc)

    def finish(self) -> WriteResult:
        md5 = self._md5.hexdigest() if self._md5 is not None else None
        sha = self._sha.hexdigest() if self._sha is not None else None
        result = WriteResult(self.size, md5, sha, self._crc)
        return check_expected(self.expected, result)


def check_expected(expected: Expected | None, result: WriteResult) -> WriteResult:
    """``result`` if it matches what the client declared, else ChecksumMismatchError or
    TooLargeError."""
    exp = expected or Expected()
    if exp.max_size is not None and result.size > exp.max_size:
        raise TooLargeError(f"body larger than {exp.max_size} bytes")
    if exp.md5_hex is not None and exp.md5_hex.lower() != result.md5_hex:
        raise ChecksumMismatchError("md5", exp.md5_hex.lower(), result.md5_hex)
    if exp.sha256_hex is not None and exp.sha256_hex.lower() != result.sha256_hex:
        raise ChecksumMismatchError("sha256", exp.sha256_hex.lower(), result.sha256_hex)
    if exp.crc32c is not None and result.crc32c is not None and exp.crc32c != result.crc32c:
        raise ChecksumMismatchError("crc32c", to_wire(exp.crc32c), to_wire(result.crc32c))
    return result


def needs_reading(expected: Expected | None, sha256_hex: str | None) -> bool:
    """Whether composing parts must read them: an MD5 is expected, or a SHA-256 is wanted and
    the caller does not know it yet (else the parts' sizes are all a compose needs)."""
    if expected is not None and expected.md5_hex is not None:
        return True
    return sha256_hex is None and (expected is None or expected.wants_sha256())


class ObjectStore(ABC):
    """Where managed blob bytes live. All methods are safe to call concurrently."""

    #: Whether :meth:`write` holds a whole body (in a spool, under the process's budget)
    #: before storing it, rather than storing its bytes as they arrive.
    holds_writes: bool = False

    @abstractmethod
    async def write(
        self, object_id: str, chunks: AsyncIterator[bytes], expected: Expected | None = None
    ) -> WriteResult:
        """Stream ``chunks`` into a new object; visible only on success (atomic).

        Raises ChecksumMismatchError / TooLargeError after discarding everything written.
        """

    async def write_small_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store several small objects given whole in memory: ``(object_id, data)`` pairs.

        All are durable when this returns; on failure none is kept (those already written are
        removed) and the error is raised. The caller hashes the data itself. This default writes
        them one by one; backends override it when batching saves work (LocalStore syncs each
        directory once per call instead of once per object).
        """
        written: list[str] = []
        try:
            for object_id, data in items:
                await self.write(object_id, _once(data))
                written.append(object_id)
        except BaseException:
            for object_id in written:
                try:
                    await self.delete(object_id)
                except Exception:  # noqa: S112 - an orphan the start-up sweep removes
                    continue
            raise

    @abstractmethod
    async def compose(
        self,
        object_id: str,
        part_ids: Iterable[str],
        expected: Expected | None = None,
        *,
        sha256_hex: str | None = None,
    ) -> WriteResult:
        """Concatenate existing objects (multipart parts, in order) into a new object, atomically.

        ``sha256_hex``: the SHA-256 of the concatenation, when the caller has hashed the parts
        already (see ``rolling``); the parts are then not read again unless ``expected`` asks
        for an MD5.
        """

    @abstractmethod
    async def copy(self, src_id: str, dst_id: str) -> None:
        """Duplicate an object under a new id (server-side, no client round trip)."""

    @abstractmethod
    def read(self, object_id: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream bytes ``start..end`` (end inclusive; None = to the end) of an object."""

    async def feed(self, object_id: str, sink: Callable[[bytes], object]) -> None:
        """Pass every byte of an object to ``sink``, in order, off the event loop (hashing).
        Backends override it when one worker thread can do the whole read."""
        async for block in self.read(object_id):
            await anyio.to_thread.run_sync(sink, block)

    @abstractmethod
    async def read_range(self, object_id: str, start: int, length: int) -> bytes:
        """Read a small range whole (zip central directories, previews)."""

    @abstractmethod
    async def delete(self, object_id: str) -> None:
        """Remove an object; a missing object is not an error."""

    async def delete_many(self, object_ids: Sequence[str]) -> list[str]:
        """Remove several objects; returns those removed (a failure leaves that one in place,
        for a later sweep). Backends override it when batching saves work."""
        gone: list[str] = []
        for object_id in object_ids:
            try:
                await self.delete(object_id)
            except Exception:  # noqa: S112 - kept for the next sweep
                continue
            gone.append(object_id)
        return gone

    @abstractmethod
    async def exists(self, object_id: str) -> bool:
        """Whether the object is present."""

    @abstractmethod
    async def list_ids(self) -> list[str]:
        """Every object id in the store (for the orphan sweep at start-up)."""

    @abstractmethod
    async def sweep_temp(self, older_than: float = 0.0) -> int:
        """Remove leftovers of interrupted writes at least ``older_than`` seconds old (keep a
        margin when several instances share the store); returns how many were removed."""

    async def sweep_trash(self) -> int:
        """Remove deleted data that was kept for reads, now that they closed (backends that
        keep any); returns how many entries went."""
        return 0

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
