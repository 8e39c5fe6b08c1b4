"""Zip archives stored as blobs: list their members and stream one member, without downloading
the archive (``blob.zip()``).

The server reads the archive's central directory by ranged reads (``GET .../blob/zip``) and
says where a member's data lies (``GET .../blob/zip/range``); :class:`ZipMemberReader` then
fetches exactly those bytes with one ranged GET pinned to the archive's ETag and inflates them
as they arrive, so a member is never held whole in memory. Stored (0) and deflated (8) members
are supported; the CRC-32 and size of the member are checked when the stream ends.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import ApiError, BucketryError, IntegrityError, about, from_transport
from ..types import arg, opt

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .blobs import Blob

__all__ = [
    "ZipArchive",
    "ZipListing",
    "ZipMember",
    "ZipMemberReader",
    "ZipUnsupportedError",
]

STORED = 0
DEFLATED = 8
_SUPPORTED = {STORED: "stored", DEFLATED: "deflate"}
_CHUNK = 256 * 1024


class ZipUnsupportedError(BucketryError, ValueError):
    """A zip member this SDK cannot stream: a compression method other than stored or
    deflate, an encrypted member, or inconsistent (ZIP64) sizes."""


@dataclass(frozen=True)
class ZipMember:
    """One member of a zip archive: ``name`` (full path inside the archive), ``size``
    (uncompressed), ``compressed_size``, ``offset`` (of its local header in the blob),
    ``method`` (0 stored, 8 deflate, ...), ``crc32``, ``modified_at``, ``is_dir`` and
    ``encrypted``."""

    name: str
    size: int
    compressed_size: int
    offset: int
    method: int
    crc32: int | None = None
    modified_at: datetime | None = None
    is_dir: bool = False
    encrypted: bool = False

    @classmethod
    def from_model(cls, m: Any) -> ZipMember:
        """Build from the generated ``ZipMember`` model."""
        return cls(
            name=m.name,
            size=m.size,
            compressed_size=m.compressed_size,
            offset=m.offset,
            method=m.method,
            crc32=opt(m.crc32),
            modified_at=opt(m.modified_at),
            is_dir=m.is_dir,
            encrypted=bool(opt(m.encrypted)),
        )


@dataclass(frozen=True)
class ZipListing:
    """An archive's members under one folder: ``size`` is the archive blob's size,
    ``members`` the listed entries (folders have ``is_dir=True``)."""

    size: int
    members: list[ZipMember]

    @property
    def total_size(self) -> int:
        """Sum of the listed members' uncompressed sizes."""
        return sum(m.size for m in self.members)

    @property
    def total_compressed_size(self) -> int:
        """Sum of the listed members' compressed sizes."""
        return sum(m.compressed_size for m in self.members)

    def __iter__(self) -> Iterator[ZipMember]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)


class ZipArchive:
    """The zip archive stored in ``blob``. Creating it makes no request."""

    def __init__(self, blob: Blob) -> None:
        self.blob = blob

    def __repr__(self) -> str:
        return f"ZipArchive({self.blob!r})"

    def _what(self, member: str | None = None) -> str:
        where = f"bkt://{self.blob.bucket.ref}/{self.blob.key}"
        return f"{where} (member {member!r})" if member is not None else where

    def list(self, path: str = "", *, recursive: bool = False) -> ZipListing:
        """The members under the folder ``path`` of the archive (``""``: its root): one
        level with sub-folders as ``is_dir`` entries, or every level with ``recursive``.
        Raises ``NotFoundError`` (no such blob or folder), ``UnprocessableEntityError``
        (``not_a_zip``, ``corrupt_zip``)."""
        client = self.blob.bucket.client
        try:
            model = client.call(
                client.api.blobs.zip_list,
                self.blob.bucket.ref,
                key=self.blob.key,
                path=path,
                recursive=recursive,
            )
        except ApiError as exc:
            raise about(exc, self._what()) from None
        return ZipListing(size=model.size, members=[ZipMember.from_model(m) for m in model.members])

    def open(self, member: str, *, chunk_size: int = _CHUNK) -> ZipMemberReader:
        """A read-only file object streaming ``member``'s uncompressed bytes (one ranged GET,
        inflated as it arrives; close it, or use it in ``with``). Raises ``NotFoundError``
        (blob or member missing), ``ZipUnsupportedError`` (method other than stored/deflate,
        encrypted member, inconsistent sizes), ``UnprocessableEntityError`` (not a zip, damaged);
        reading raises ``IntegrityError`` when the data does not match its CRC-32 or size and
        ``PreconditionFailedError`` when the archive was replaced meanwhile."""
        client = self.blob.bucket.client
        etag = self.blob.stat().etag
        try:
            where = client.call(
                client.api.blobs.zip_range, self.blob.bucket.ref, key=self.blob.key, member=member
            )
        except ApiError as exc:
            raise about(exc, self._what(member)) from None
        crc = opt(where.crc32)
        if bool(opt(where.encrypted)):
            raise ZipUnsupportedError(f"{self._what(member)} is encrypted")
        if where.method not in _SUPPORTED:
            raise ZipUnsupportedError(
                f"{self._what(member)} uses compression method {where.method}; "
                "only stored (0) and deflate (8) can be streamed"
            )
        span = where.end - where.start + 1
        if span != where.compressed_size or where.size < 0 or where.start < 0:
            raise ZipUnsupportedError(
                f"{self._what(member)} has inconsistent sizes (data range {span} bytes, "
                f"compressed size {where.compressed_size}, size {where.size})"
            )
        if where.method == STORED and where.size != where.compressed_size:
            raise ZipUnsupportedError(
                f"{self._what(member)} is stored but its sizes differ "
                f"({where.compressed_size} != {where.size})"
            )
        return ZipMemberReader(
            self.blob,
            member=where.member,
            start=where.start,
            end=where.end,
            method=where.method,
            size=where.size,
            crc32=crc,
            etag=etag,
            chunk_size=chunk_size,
        )

    def read(self, member: str) -> bytes:
        """The whole uncompressed content of ``member`` (small members; errors as
        :meth:`open`)."""
        with self.open(member) as reader:
            return reader.read()


class ZipMemberReader(io.RawIOBase):
    """A forward-only file object over one zip member: the member's data comes from one
    ranged GET (``If-Match`` the archive's ETag) and is inflated chunk by chunk, so memory
    stays bounded by ``chunk_size`` whatever the member's size. Output is cut at the declared
    size (a deflate bomb cannot yield more); at the end the size and CRC-32 are verified
    (``IntegrityError`` if they do not match)."""

    def __init__(
        self,
        blob: Blob,
        *,
        member: str,
        start: int,
        end: int,
        method: int,
        size: int,
        crc32: int | None,
        etag: str | None,
        chunk_size: int = _CHUNK,
    ) -> None:
        super().__init__()
        self.blob = blob
        self.name = member
        self.size = size
        self.method = method
        self._crc_expected = crc32
        self._crc = 0
        self._produced = 0
        self._pending = b""
        self._chunk = max(chunk_size, 1024)
        self._inflater = zlib.decompressobj(-15) if method == DEFLATED else None
        self._stack = contextlib.ExitStack()
        self._chunks: Iterator[bytes] | None = None
        self._eof = False
        if end >= start:
            client = blob.bucket.client
            response: httpx.Response = self._stack.enter_context(
                client.stream(
                    client.api.blobs.get_stream,
                    blob.bucket.ref,
                    key=blob.key,
                    range_=f"bytes={start}-{end}",
                    if_match=arg(etag),
                )
            )
            self._chunks = response.iter_raw(self._chunk)

    def _what(self) -> str:
        return f"bkt://{self.blob.bucket.ref}/{self.blob.key} (member {self.name!r})"

    def readable(self) -> bool:
        return True

    def _next_input(self) -> bytes | None:
        """The next chunk of the member's stored data, or None at its end."""
        if self._chunks is None:
            return None
        try:
            return next(self._chunks, None)
        except httpx.TransportError as exc:  # the connection broke mid-body
            raise from_transport(exc) from exc

    def _produce(self) -> bytes:
        """The next piece of uncompressed output (``b""`` at the end, after the checks)."""
        left = self.size - self._produced
        while True:
            if self._inflater is not None and self._inflater.unconsumed_tail:
                out = self._inflater.decompress(
                    self._inflater.unconsumed_tail, min(left, self._chunk)
                )
                if out:
                    return out
            data = self._next_input()
            if data is None:
                return b""
            if self._inflater is None:
                out = data[: max(left, 0)]
                if len(data) > left:
                    raise IntegrityError(f"{self._what()}: more data than its declared size")
            else:
                out = self._inflater.decompress(data, max(min(left, self._chunk), 1))
                if self._inflater.unconsumed_tail and left <= 0:
                    raise IntegrityError(f"{self._what()} inflates beyond its declared size")
            if out:
                return out

    def _finish(self) -> None:
        """Check the size and the CRC-32 at the end of the stream."""
        self._eof = True
        if self._inflater is not None:
            try:
                tail = self._inflater.flush()
            except zlib.error as exc:
                raise IntegrityError(f"{self._what()}: corrupt deflate data ({exc})") from None
            if tail or not self._inflater.eof or self._inflater.unused_data:
                raise IntegrityError(f"{self._what()}: deflate stream truncated or too long")
        if self._produced != self.size:
            raise IntegrityError(
                f"{self._what()}: got {self._produced} bytes, its directory says {self.size}"
            )
        if self._crc_expected is not None and self._crc != self._crc_expected:
            raise IntegrityError(
                f"{self._what()}: CRC-32 {self._crc:08x} does not match {self._crc_expected:08x}"
            )
        self._stack.close()

    def readinto(self, b: Any) -> int:
        """Fill ``b`` with the next uncompressed bytes; 0 at the end (after the checks)."""
        if self.closed:
            raise ValueError("I/O operation on closed file")
        view = memoryview(b).cast("B")
        if not len(view) or self._eof:
            return 0
        if not self._pending:
            try:
                self._pending = self._produce()
            except zlib.error as exc:
                raise IntegrityError(f"{self._what()}: corrupt deflate data ({exc})") from None
            if not self._pending:
                self._finish()
                return 0
            self._crc = zlib.crc32(self._pending, self._crc)
            self._produced += len(self._pending)
            if self._produced > self.size:
                raise IntegrityError(f"{self._what()}: more data than its declared size")
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def readall(self) -> bytes:
        """Everything left (for small members), verified at the end."""
        parts = []
        while chunk := self.read(self._chunk):
            parts.append(chunk)
        return b"".join(parts)

    def close(self) -> None:
        """Close the stream (the HTTP response is released; nothing is verified if the
        member was not read to its end)."""
        if not self.closed:
            self._stack.close()
        super().close()
