"""The provider seam of imported buckets: what one provider's store must offer.

An imported bucket (AWS S3, S3-compatible, Azure Blob, GCS, a server folder) is served by a
remote backend (the :class:`..base.BucketBackend` of imported buckets) over an
:class:`ObjectClient`: a small, synchronous, provider-neutral view of one provider bucket,
implemented once per provider with the provider's official library (boto3,
azure-storage-blob, google-cloud-storage; the standard library for a server folder). The
backend runs client calls in worker threads, so a client may block, but every network call
must be bounded by the timeouts in :class:`ProviderConfig`.

Keys: a client sees full provider keys (the bucket's ``prefix`` included); the backend adds
and strips the prefix. Keys are returned exactly as the provider stores them (no stripping of
slashes, no normalisation).

Errors: a client raises only the :class:`ProviderError` family below (translated from its
library's exceptions, messages free of secrets); the backend maps them to domain errors and
statuses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ProviderConfig:
    """Everything needed to reach one provider bucket. ``credentials`` are the decrypted,
    write-only secrets (keys as in the spec's ``ProviderCredentials``); never log or echo
    this object (its ``repr`` hides them)."""

    provider: str  # AWS_S3, S3_COMPATIBLE, AZURE_BLOB, GCS, FILESYSTEM
    bucket: str  # provider bucket / container name, or the folder for FILESYSTEM
    prefix: str = ""  # scopes every key ("" or ending with "/" or any string the user chose)
    endpoint_url: str | None = None
    region: str | None = None
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    #: The server's allowed networks (CIDR text) when every connection must pass the SSRF
    #: guard (:mod:`.pinning`: its peer public or in one of them); None: no connect-time
    #: check (a trusted configuration, e.g. a test of the client alone).
    allowed_networks: tuple[str, ...] | None = None
    #: Keep a listing's surplus rows for the call that continues it (:mod:`.lookahead`). Off
    #: when the server runs several worker processes: a write through another process could
    #: not clear this process's kept rows and a continued listing would hide it.
    lookahead: bool = True


@dataclass(frozen=True)
class ObjectInfo:
    """One provider object. ``etag`` identifies the version (the provider's ETag, generation
    or a stable digest of size+mtime for a folder)."""

    key: str
    size: int
    etag: str
    modified_at: datetime | None = None
    content_type: str | None = None
    metadata: Mapping[str, str] | None = None
    #: The provider's own CRC32C of the whole object (wire form: base64 of 4 big-endian
    #: bytes), when it keeps one (S3 with a full-object CRC32C, GCS always); None otherwise.
    crc32c: str | None = None


@dataclass(frozen=True)
class WriteCondition:
    """A precondition the provider checks atomically with the write itself (S3
    ``If-None-Match``/``If-Match``, Azure ``If-None-Match``/``If-Match``, GCS
    ``ifGenerationMatch``, a folder's exclusive link): ``absent`` — the key must not exist;
    ``etag`` — the object must be that version (an :attr:`ObjectInfo.etag`). A write whose
    condition does not hold raises :class:`ProviderConditionFailed` and changes nothing."""

    absent: bool = False
    etag: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """``status``: AVAILABLE, NOT_FOUND, FORBIDDEN or UNREACHABLE; ``actions``: what the
    credentials really allow (``READ``, ``WRITE``); ``detail``: the provider's reason when not
    AVAILABLE (no secrets)."""

    status: str
    actions: Sequence[str] = ()
    detail: str | None = None


@dataclass(frozen=True)
class PartInfo:
    """One part of a provider multipart upload, stored at the provider. ``token`` is what the
    completion hands back to the provider (an S3 part ETag, the ids of an Azure part's staged
    blocks, a GCS or folder part object): opaque to everyone but the client that made it."""

    number: int
    size: int
    token: str


class ProviderError(Exception):
    """Base of what a client raises; the message names the provider and bucket/key."""


class ProviderNotFound(ProviderError):
    """The bucket or the object does not exist."""


class ProviderForbidden(ProviderError):
    """The credentials are wrong or do not allow this."""


class ProviderUnreachable(ProviderError):
    """The endpoint could not be reached, or the connection failed or was dropped (a
    timeout is the subclass :class:`ProviderTimeout`)."""


class ProviderTimeout(ProviderUnreachable):
    """The endpoint did not answer within the configured timeouts (connect or read)."""


class ProviderFailed(ProviderError):
    """The provider answered with a failure on its own side: a server error (HTTP 5xx: S3
    ``InternalError``, Azure ``InternalError``, GCS 500/503) or throttling (S3 ``SlowDown``,
    Azure ``ServerBusy``, HTTP 429). Nothing about the request is wrong; a retry may succeed."""


class ProviderVersionChanged(ProviderError):
    """A read pinned to an etag found another version (the object changed under it)."""


class ProviderConditionFailed(ProviderError):
    """A conditional write (:class:`WriteCondition`) found its condition false: the key
    exists, or holds another version. Nothing was written."""


class ProviderBadChecksum(ProviderError):
    """The provider refused a body whose declared checksum (CRC32C) it found wrong (S3
    ``BadDigest``, GCS 400 on a ``crc32c`` mismatch). Nothing was written."""


class ObjectClient(Protocol):
    """One provider bucket, seen as key-ordered objects."""

    #: The smallest part (every part but the last) the provider's multipart upload takes.
    min_part_size: int
    #: Whether :meth:`write_part` may hold a part whole (in the server's spool) before
    #: storing it, rather than storing its bytes as they arrive.
    holds_parts: bool
    #: Keys under this folder (below the bucket's prefix) are the client's own (e.g. the part
    #: objects of GCS multipart uploads): its listings leave them out and the backend refuses
    #: them as user keys. None: every key is the user's.
    reserved_prefix: str | None

    def probe(self) -> ProbeResult:
        """Check the bucket and what the credentials allow, within the configured timeouts;
        never raises for provider answers (they become the result's status)."""
        ...

    def list_page(self, prefix: str, start_after: str | None, limit: int) -> list[ObjectInfo]:
        """Up to ``limit`` objects whose key starts with ``prefix`` and sorts after
        ``start_after`` (None: from the start), in the provider's key order (S3, GCS and Azure
        list by UTF-8 byte order; a folder client sorts the same way). Flat: no delimiter.
        ``start_after`` may be any string, not only an existing key (the remote backend skips
        a folder by listing after a string just below the folder's successor, padded with
        U+10FFFF); a client whose provider lists from an inclusive offset must exclude it.
        Fewer than ``limit`` objects means the end of the listing."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """The object of ``key``, or None if there is none."""
        ...

    def read(
        self, key: str, start: int = 0, end: int | None = None, *, etag: str | None = None
    ) -> Iterator[bytes]:
        """Bytes ``start..end`` (inclusive; None: to the end) in chunks of about 1 MiB. With
        ``etag``, raises :class:`ProviderVersionChanged` if the object is another version."""
        ...

    def write(
        self,
        key: str,
        chunks: Iterator[bytes],
        *,
        content_type: str,
        metadata: Mapping[str, str],
        size: int | None = None,
        part_size: int | None = None,
        crc32c: int | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """Store ``key`` from ``chunks`` (streamed: multipart / staged blocks / resumable
        upload above the provider's single-request size; never the whole body in memory);
        visible only once complete. ``part_size`` (bytes; None: the client's default) is the
        S3 multipart part size, the Azure staged block size or the GCS resumable chunk size,
        also the single-request threshold; a folder client ignores it. ``crc32c``: the
        body's CRC32C when known before the write (declared by the uploader): a provider that
        keeps CRC32C stores it and refuses a mismatch (:class:`ProviderBadChecksum`); S3
        stores one even without it (computed per part while the parts are in memory).
        ``condition``: checked by the provider atomically with the write
        (:class:`ProviderConditionFailed`). Callers pass the two keywords only when set."""
        ...

    def start_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        """Open a provider multipart upload of ``key`` (S3 CreateMultipartUpload; a fresh id
        naming the staged blocks or part objects elsewhere); returns its handle (at most 1024
        characters), which every later call of this upload gets back."""
        ...

    def write_part(
        self,
        key: str,
        upload: str,
        number: int,
        chunks: Iterator[bytes],
        *,
        size: int | None = None,
        crc32c: int | None = None,
    ) -> PartInfo:
        """Store part ``number`` (1..10000) of upload ``upload`` from ``chunks`` (streamed;
        ``size`` the length when known; ``crc32c`` the part's CRC32C when declared before,
        handed to a provider that checks it, passed only when set). A part sent again
        replaces the earlier one for the completion that lists the new token. If ``chunks``
        raises (a checksum mismatch is raised before its last bytes are handed over), the
        part is not stored."""
        ...

    def complete_multipart(
        self,
        key: str,
        upload: str,
        parts: Sequence[PartInfo],
        *,
        content_type: str,
        metadata: Mapping[str, str],
        crc32c: int | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """Make ``key`` the concatenation of ``parts`` (in the order given) and close the
        upload (its other parts are dropped); visible at once, whole. ``crc32c``: the whole's
        CRC32C (combined from the parts'), stored and checked where the provider can (S3's
        full-object checksum); ``condition`` as for :meth:`write` (both passed only when
        set)."""
        ...

    def abort_multipart(self, key: str, upload: str) -> None:
        """Drop the upload and every part stored for it (nothing visible is changed; an
        unknown or finished upload is not an error)."""
        ...

    def delete(self, keys: Sequence[str]) -> list[str]:
        """Delete those of ``keys`` that exist (batched where the provider can); returns the
        keys deleted."""
        ...

    def copy(self, source_key: str, key: str) -> ObjectInfo:
        """Server-side copy within this provider bucket."""
        ...

    def presign(self, key: str, method: str, expires_in: int) -> str | None:
        """A provider-signed URL for ``GET`` or ``PUT`` of ``key``, or None if this provider
        (or these credentials) cannot sign."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
