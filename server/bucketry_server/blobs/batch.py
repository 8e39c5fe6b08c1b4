"""Many small blobs from one tar stream (``blobs_put_batch``): one request, one transaction.

Per member the costs of a single PUT (request handling, a transaction, three syncs) are what
dominates small files, so here they are shared:

- the body is parsed as it arrives (:mod:`.tarstream`); each accepted member is hashed and
  handed to the backend's batch writer (managed: written in groups by the store's
  ``write_small_many``, a few groups in flight while parsing goes on);
- nothing becomes visible until the whole stream parsed fine and every object is durable; then
  one commit for all (the managed backend: ``catalogue.commit_blobs``, the one write path);
- replaced objects, and objects of members that failed at commit (``exists``), are deleted
  after the commit; on any failure (corrupt stream, limits, client gone, commit error) every
  object written for the request is deleted and nothing is stored.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..backends.base import BatchWriter, BlobRecord, BucketBackend, WriteSpec
from ..errors import Invalid, TooLarge
from ..keys import key_error
from .tarstream import ByteStream, StreamTooLarge, TarError, TarReader
from .validation import OCTET_STREAM, check_content_type, parse_metadata
from .views import blob_json

log = logging.getLogger("bucketry_server.batch")

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 16 * 1024 * 1024
MAX_REQUEST_BYTES = 1 << 30

PAX_SHA256 = "BUCKETRY.sha256"
PAX_CONTENT_TYPE = "BUCKETRY.content_type"
PAX_METADATA = "BUCKETRY.metadata"

INLINE_HASH_BYTES = 256 * 1024  # larger members are hashed in a worker thread


@dataclass
class Member:
    """One result slot, in stream order."""

    key: str
    error: str | None = None
    stored: bool = False  # handed to the batch writer
    blob: BlobRecord | None = None

    def as_json(self) -> dict[str, Any]:
        """The member's ``BlobBatchItem``."""
        if self.error is not None or self.blob is None:
            key = self.key.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return {"key": key, "ok": False, "blob": None, "error": self.error}
        return {"key": self.key, "ok": True, "blob": blob_json(self.blob), "error": None}


def member_key(prefix: str, name: str) -> str:
    """The blob key of tar member ``name`` under ``prefix`` (leading ``./`` dropped)."""
    while name.startswith("./"):
        name = name[2:]
    return prefix + name


def _content_type(pax: dict[str, str]) -> str | None:
    """The member's media type (the same check as every write path), or None if the PAX
    record is invalid."""
    value = pax.get(PAX_CONTENT_TYPE)
    if value is None:
        return OCTET_STREAM
    try:
        return check_content_type(value, PAX_CONTENT_TYPE)
    except Invalid:
        return None


def _metadata(pax: dict[str, str]) -> dict[str, str] | None:
    """The member's metadata (the same check as every write path), or None if the PAX record
    is invalid."""
    raw = pax.get(PAX_METADATA)
    if raw is None:
        return {}
    try:
        return parse_metadata(raw, PAX_METADATA)
    except Invalid:
        return None


async def _sha256(data: bytes) -> str:
    if len(data) <= INLINE_HASH_BYTES:
        return hashlib.sha256(data).hexdigest()
    return await run_in_threadpool(lambda: hashlib.sha256(data).hexdigest())


async def _parse(
    chunks: AsyncIterator[bytes], prefix: str, writer: BatchWriter, members: list[Member]
) -> None:
    """Walk the stream, fill ``members`` and hand accepted data to ``writer``."""
    stream = ByteStream(chunks, MAX_REQUEST_BYTES)
    reader = TarReader(stream, global_keys=(PAX_CONTENT_TYPE, PAX_METADATA))
    claimed: set[str] = set()
    while True:
        entry = await reader.next()
        if entry is None:
            break
        if entry.is_dir:
            continue
        if len(members) >= MAX_MEMBERS:
            raise TooLarge(
                "payload_too_large",
                f"a batch holds at most {MAX_MEMBERS} members; split the archive",
                headers={"Connection": "close"},
            )
        member = Member(key=member_key(prefix, entry.name))
        members.append(member)
        if not entry.is_file:
            member.error = "unsupported_member"
            continue
        if key_error(member.key) is not None:
            member.error = "invalid_key"
            continue
        if entry.size > MAX_MEMBER_BYTES:
            member.error = "too_large"
            continue
        content_type = _content_type(entry.pax)
        if content_type is None:
            member.error = "invalid_content_type"
            continue
        metadata = _metadata(entry.pax)
        if metadata is None:
            member.error = "invalid_metadata"
            continue
        if member.key in claimed:
            member.error = "duplicate"
            continue
        data = await reader.read_data()
        sha = await _sha256(data)
        expected = entry.pax.get(PAX_SHA256)
        if expected is not None and expected.strip().lower() != sha:
            member.error = "checksum_mismatch"
            continue
        claimed.add(member.key)
        member.stored = True
        await writer.add(member.key, data, sha, WriteSpec(content_type, metadata))
    await stream.drain()  # the end-of-archive padding


async def put_batch(
    backend: BucketBackend, chunks: AsyncIterator[bytes], prefix: str, overwrite: bool
) -> dict[str, Any]:
    """Store the members of a tar stream under ``prefix``; returns the BlobBatchResult.
    Raises ``Invalid`` (``invalid_tar``) or ``TooLarge`` with nothing stored."""
    writer = backend.batch()
    members: list[Member] = []
    try:
        try:
            await _parse(chunks, prefix, writer, members)
        except TarError as exc:
            raise Invalid(
                "invalid_tar", f"{exc}; nothing was stored", headers={"Connection": "close"}
            ) from None
        except StreamTooLarge:
            raise TooLarge(
                "payload_too_large",
                f"a batch is limited to {MAX_REQUEST_BYTES} bytes; split the archive",
                headers={"Connection": "close"},
            ) from None
        stored = [m for m in members if m.stored]
        for member, blob in zip(stored, await writer.commit(overwrite=overwrite), strict=True):
            member.blob = blob
            if blob is None:
                member.error = "exists"
    except BaseException as exc:
        # Cancelled (the server stopping): a commit may still land, so nothing is deleted.
        await writer.abandon(keep_written=not isinstance(exc, Exception))
        raise
    ok = [m for m in members if m.error is None and m.blob is not None]
    return {
        "results": [m.as_json() for m in members],
        "stored": len(ok),
        "failed": len(members) - len(ok),
        "bytes": sum(m.blob.size for m in ok if m.blob is not None),
    }
