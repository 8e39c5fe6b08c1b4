"""The backend seam: what a bucket's data plane offers, whatever holds the data.

A :class:`BucketBackend` serves one bucket: list, stat, ranged read, write, delete, copy,
compose, usage and a status/actions probe. Domain services and routes get one with
``backend_for(state, bucket)`` (:mod:`.registry`) and never ask which provider a bucket has.
The managed backend (:mod:`.managed`: catalogue in the database + the server's object store)
is the only one served today; providers not served yet get :mod:`.unserved`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from ..storage.base import Expected

#: The provider of the server's own buckets (``bucket.provider``).
MANAGED = "MANAGED"
#: What the credentials of a fully usable bucket allow.
READ_WRITE = ["READ", "WRITE"]

#: A step a commit runs inside its own database transaction once the preconditions hold
#: (multipart completion deletes its upload there); whatever it raises aborts the commit.
InTransaction = Callable[[Session], None]


@dataclass(frozen=True)
class ListQuery:
    """One page of a blob listing: prefix, delimiter ("folders"), glob, order and cursor."""

    prefix: str = ""
    delimiter: str | None = None
    glob: str | None = None
    order_by: str = "name"
    descending: bool = False
    page_size: int = 100
    cursor: str | None = None
    bucket_id: str = ""  # set by the backend that runs the query
    #: With a delimiter: sum what lies below each folder (``BlobPage.folders``). Callers that
    #: only need the folders' names (folder browsing) turn it off: an imported bucket lists
    #: every object below them to sum it. Not part of :meth:`tag` (the pages are the same).
    folder_sums: bool = True

    def tag(self) -> str:
        """Cursors are only valid for the listing that produced them."""
        raw = "\0".join(
            [
                self.prefix,
                self.delimiter or "",
                self.glob or "",
                self.order_by,
                str(self.descending),
            ]
        )
        return "bl" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class BlobRecord(Protocol):
    """What a backend knows of one blob (a catalogue row, or a provider's object listing)."""

    @property
    def key(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def etag(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def meta(self) -> dict[str, str] | None: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def modified_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Probe:
    """A bucket's reachability (``AVAILABLE``, ``NOT_FOUND``, ``FORBIDDEN``, ``UNREACHABLE``,
    ``CHECKING``) and the actions its credentials allow (``READ``, ``WRITE``...)."""

    status: str
    actions: list[str] = field(default_factory=list)
    checked_at: datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Usage:
    """Bytes and objects a bucket holds."""

    bytes: int
    objects: int
    #: When the figures were computed (None: now, from counters kept by every write).
    computed_at: datetime | None = None


@dataclass
class WriteSpec:
    """How to store one blob: its media type, user metadata, expected checksums/size and
    preconditions (``If-Match`` / ``If-None-Match``)."""

    content_type: str
    metadata: dict[str, str]
    expected: Expected = field(default_factory=Expected)
    if_match: str | None = None
    if_none_match: str | None = None


class BatchWriter(Protocol):
    """Many small blobs in one go (tar batches): ``add`` stores data as it arrives, ``commit``
    makes the accepted members visible at once; ``abandon`` removes everything written."""

    async def add(self, key: str, data: bytes, sha256_hex: str, spec: WriteSpec) -> None:
        """Store ``data`` for ``key`` (not visible before :meth:`commit`)."""
        ...

    async def commit(self, *, overwrite: bool) -> list[BlobRecord | None]:
        """Make every added blob visible at once; per blob (in order) its record, or None if
        the key existed and ``overwrite`` is False."""
        ...

    async def abandon(self, *, keep_written: bool = False) -> None:
        """Remove everything written; nothing becomes visible. ``keep_written``: the commit
        was interrupted (cancelled) and may still land, so what was written stays (what no
        commit recorded is then deleted by the start-up sweep)."""
        ...


@dataclass(frozen=True)
class StoredPart:
    """A part of a provider multipart upload, verified and stored at the provider: its
    size, SHA-256 (when asked for), the provider's token for the completion and its CRC32C."""

    size: int
    sha256_hex: str | None
    token: str
    crc32c: int | None = None


class NativeMultipart(Protocol):
    """Multipart uploads mapped onto the provider's own (imported buckets): parts go straight
    to the provider, the completion asks the provider to assemble them. The upload's
    bookkeeping (parts, listing, the ``completing`` claim) stays in the server's database;
    ``upload`` is the provider's handle the server keeps with it. Provider failures raise the
    domain errors of provider errors."""

    def part_minimum(self) -> int:
        """The smallest part (but the last) the provider takes. Blocking: opens the client."""
        ...

    def holds_parts(self) -> bool:
        """Whether :meth:`put_part` may hold a part whole (in the server's spool) before the
        provider stores it. Blocking: opens the client."""
        ...

    async def start_upload(self, key: str, content_type: str, metadata: dict[str, str]) -> str:
        """Open the provider upload of ``key``; its handle (at most 1024 characters)."""
        ...

    async def put_part(
        self,
        key: str,
        upload: str,
        number: int,
        chunks: AsyncIterator[bytes],
        expected: Expected,
        size: int | None,
    ) -> StoredPart:
        """Stream part ``number`` to the provider, verified against ``expected`` before its
        last bytes leave (a mismatch stores nothing: ``Invalid`` ``checksum_mismatch``)."""
        ...

    async def complete_upload(
        self,
        key: str,
        upload: str,
        parts: Sequence[tuple[int, int, str]],
        spec: WriteSpec,
        *,
        also: InTransaction | None = None,
    ) -> BlobRecord:
        """Assemble ``(number, size, token)`` parts into ``key`` (``spec``'s type, metadata
        and ``If-None-Match``), then run ``also`` in one transaction."""
        ...

    async def abort_upload(self, key: str, upload: str) -> None:
        """Drop the provider upload and its parts (best effort; never raises for a gone one)."""
        ...


class BucketBackend(Protocol):
    """The data plane of one bucket. Every method may raise domain errors (:mod:`..errors`):
    ``NotFound`` (bucket or blob), ``PreconditionFailed``, ``Invalid`` (e.g. ``not_managed``
    for writes a provider does not take), ``TooLarge``."""

    provider: str
    #: False for the server's own (managed) buckets, True for buckets imported from a provider.
    imported: bool

    def status(self) -> Probe:
        """The last known status and the allowed actions (cheap; no network round trip)."""
        ...

    async def probe(self) -> Probe:
        """Check the bucket now (a provider backend asks its provider)."""
        ...

    def check_writable(self) -> None:
        """Raise ``Invalid`` if this bucket takes no writes (checked before any body byte is
        read)."""
        ...

    async def usage(self) -> Usage:
        """Bytes and objects stored."""
        ...

    async def list_blobs(self, query: ListQuery) -> bytes:
        """One listing page as the API's JSON body (``BlobPage``), built by the backend (the
        listing is the hot path: no per-entry objects)."""
        ...

    async def stat(self, key: str) -> BlobRecord | None:
        """The blob of ``key``, or None."""
        ...

    async def stat_many(self, keys: Sequence[str]) -> dict[str, BlobRecord]:
        """The blobs of those ``keys`` that exist, by key."""
        ...

    async def open_read(
        self, blob: BlobRecord, start: int = 0, end: int | None = None
    ) -> tuple[bytes, AsyncIterator[bytes]]:
        """Start reading bytes ``start..end`` (inclusive; None: to the end) of exactly the
        version ``blob`` describes: the first block, then the rest. Raises
        ``ObjectMissingError`` if that version is gone (the caller may stat again)."""
        ...

    async def read_range(self, blob: BlobRecord, start: int, length: int) -> bytes:
        """``length`` bytes from ``start`` of the version ``blob`` describes (small reads)."""
        ...

    async def write(self, key: str, chunks: AsyncIterator[bytes], spec: WriteSpec) -> BlobRecord:
        """Store ``key`` from ``chunks`` (verified against ``spec.expected``); visible only
        once complete, replacing any previous version atomically."""
        ...

    def batch(self) -> BatchWriter:
        """A writer for many small blobs committed together."""
        ...

    async def copy(self, source: BlobRecord, key: str, *, if_none_match: str | None) -> BlobRecord:
        """Copy ``source`` (a blob of this or another bucket of the same backend) to ``key``."""
        ...

    async def copy_many(
        self, pairs: Sequence[tuple[BlobRecord, str]], *, overwrite: bool
    ) -> list[BlobRecord | None]:
        """Copy each ``(source, key)`` (sources of this or another bucket of the same backend)
        as :meth:`copy` does, committed together where the backend can (one transaction for
        a managed bucket); per pair its record, or None if the key existed and ``overwrite``
        is False. Raises ``ObjectMissingError`` if a source vanished (nothing committed, for
        a backend that commits together)."""
        ...

    async def compose(
        self,
        key: str,
        parts: Sequence[str],
        sha256_hex: str | None,
        spec: WriteSpec,
        *,
        object_id: str | None = None,
        also: InTransaction | None = None,
    ) -> BlobRecord:
        """Concatenate stored parts (multipart upload objects) into ``key``; ``sha256_hex``
        is the digest if already known (hashed while the parts arrived); ``object_id`` names
        the new object if the caller reserved one; ``also`` runs inside the commit's
        transaction (its failure aborts the commit)."""
        ...

    async def delete(self, keys: Sequence[str], *, if_match: str | None = None) -> list[BlobRecord]:
        """Delete the blobs of ``keys`` that exist; returns those that went. ``if_match`` is
        checked atomically with the delete (``PreconditionFailed`` if a racing write changed
        a blob)."""
        ...

    def native_multipart(self) -> NativeMultipart | None:
        """The provider's own multipart uploads, or None (parts go to the server's store and
        :meth:`compose` assembles them)."""
        ...
