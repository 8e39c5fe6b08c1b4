"""What the remote backend hands to the domains: one provider object as a blob record."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from ...timeutil import utcnow
from .client import ObjectInfo

OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class RemoteBlob:
    """A :class:`..base.BlobRecord` of an imported bucket. ``key`` is the bucket key (the
    bucket prefix stripped); ``origin`` names the provider bucket (provider, endpoint, bucket),
    so a copy can tell whether its source lives in the same provider bucket; ``object_id`` is
    a stable name of this version (for caches such as preview thumbnails)."""

    key: str
    size: int
    etag: str
    content_type: str
    modified_at: datetime | None
    origin: str
    meta: dict[str, str] | None = None
    sha256: str | None = None
    md5: str | None = None
    #: The prefix of the imported bucket it was read through: ``root + key`` is the provider
    #: key (two imported buckets may share a provider bucket under different prefixes).
    root: str = ""
    #: The CRC32C (wire form): known right after a write through the server, else the
    #: provider's own where it keeps one (S3 full-object checksums on HEAD, GCS always).
    crc32c: str | None = None

    @property
    def created_at(self) -> datetime | None:
        """Providers keep no creation time: the last modification stands in."""
        return self.modified_at

    @property
    def object_id(self) -> str:
        """A stable id of this version of this object."""
        raw = f"{self.origin}\0{self.key}\0{self.etag}".encode("utf-8", "surrogatepass")
        return "ext_" + hashlib.sha256(raw).hexdigest()[:32]


def record(info: ObjectInfo, prefix: str, origin: str, sha256: str | None = None) -> RemoteBlob:
    """The record of a provider object whose full key starts with ``prefix``."""
    return RemoteBlob(
        key=info.key[len(prefix) :],
        size=int(info.size),
        etag=info.etag,
        content_type=info.content_type or OCTET_STREAM,
        modified_at=info.modified_at or utcnow(),
        origin=origin,
        meta=dict(info.metadata) if info.metadata else {},
        sha256=sha256,
        root=prefix,
        crc32c=info.crc32c,
    )
