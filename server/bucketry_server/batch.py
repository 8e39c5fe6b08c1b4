"""Many small blobs from one tar stream (``blobs_put_batch``): one request, one transaction.

Per member the costs of a single PUT (request handling, a transaction, three syncs) are what
dominates small files, so here they are shared:

- the body is parsed as it arrives (:mod:`.tarstream`); each accepted member is hashed and
  queued; queued members are written in groups by the store's ``write_small_many`` (LocalStore:
  one worker thread per group, each file fsynced, its directory fsynced once per group — the
  group's object ids share their fan-out directory), a few groups in flight while parsing goes on;
- nothing becomes visible until the whole stream parsed fine and every object is durable; then
  one transaction (bucket row locked first, like ``commit_blob``) inserts/updates all rows with
  executemany, marks replaced objects dead and updates the bucket counters once;
- replaced objects, and objects of members that failed at commit (``exists``), are deleted
  after the commit; on any failure (corrupt stream, limits, client gone, commit error) every
  object written for the request is deleted and nothing is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from starlette.concurrency import run_in_threadpool

from . import blob_ops
from .keys import key_error
from .maintenance import discard_objects
from .models import Blob, Bucket, ObjectLedger
from .problems import ApiProblem
from .state import AppState
from .tarstream import ByteStream, StreamTooLarge, TarError, TarReader
from .timeutil import iso, utcnow
from .transfer import OCTET_STREAM, check_content_type

log = logging.getLogger("bucketry_server.batch")

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 16 * 1024 * 1024
MAX_REQUEST_BYTES = 1 << 30
MAX_METADATA_BYTES = 2048

PAX_SHA256 = "BUCKETRY.sha256"
PAX_CONTENT_TYPE = "BUCKETRY.content_type"
PAX_METADATA = "BUCKETRY.metadata"

# Write grouping: a group is written by one worker thread; a few groups run concurrently (the
# filesystem merges their journal commits) while the event loop keeps parsing.
GROUP_MEMBERS = 256
GROUP_BYTES = 8 * 1024 * 1024
GROUPS_IN_FLIGHT = 4
INLINE_HASH_BYTES = 256 * 1024  # larger members are hashed in a worker thread
KEYS_PER_QUERY = 500


@dataclass
class Member:
    """One result slot, in stream order."""

    key: str
    error: str | None = None
    object_id: str | None = None
    size: int = 0
    sha256: str = ""
    content_type: str = OCTET_STREAM
    metadata: dict[str, str] | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        if self.error is not None or self.created_at is None or self.modified_at is None:
            key = self.key.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return {"key": key, "ok": False, "blob": None, "error": self.error}
        blob = {
            "key": self.key,
            "size": self.size,
            "etag": blob_ops.etag_for(self.sha256),
            "content_type": self.content_type,
            "sha256": self.sha256,
            "metadata": dict(self.metadata or {}),
            "created_at": iso(self.created_at),
            "modified_at": iso(self.modified_at),
        }
        return {"key": self.key, "ok": True, "blob": blob, "error": None}


def member_key(prefix: str, name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return prefix + name


def _content_type(pax: dict[str, str]) -> str | None:
    """The member's media type, or None if the PAX record is invalid."""
    value = pax.get(PAX_CONTENT_TYPE)
    if value is None:
        return OCTET_STREAM
    if len(value) > 255:
        return None
    try:
        return check_content_type(value)
    except ApiProblem:
        return None


def _metadata(pax: dict[str, str]) -> dict[str, str] | None:
    """The member's metadata, or None if the PAX record is invalid."""
    raw = pax.get(PAX_METADATA)
    if raw is None:
        return {}
    try:
        if len(raw.encode("utf-8")) > MAX_METADATA_BYTES:
            return None
        value = json.loads(raw)
    except (UnicodeEncodeError, ValueError):
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # no lone surrogates
    except UnicodeEncodeError:
        return None
    return value


class _Writer:
    """Queues accepted members and writes them in groups, a few groups concurrently."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.written: list[str] = []  # every object id handed to the store (for cleanup)
        self._group: list[tuple[str, bytes]] = []
        self._group_bytes = 0
        self._fan = secrets.token_hex(2)
        self._tasks: list[asyncio.Task[None]] = []

    def new_id(self) -> str:
        return f"obj_{self._fan}{secrets.token_hex(14)}"

    async def add(self, object_id: str, data: bytes) -> None:
        self._group.append((object_id, data))
        self.written.append(object_id)
        self._group_bytes += len(data)
        if len(self._group) >= GROUP_MEMBERS or self._group_bytes >= GROUP_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if not self._group:
            return
        group, self._group, self._group_bytes = self._group, [], 0
        self._fan = secrets.token_hex(2)
        while len(self._tasks) >= GROUPS_IN_FLIGHT:
            first = self._tasks.pop(0)
            await first
        self._tasks.append(asyncio.create_task(self.state.store.write_small_many(group)))

    async def finish(self) -> None:
        """Write what is queued and wait until every object is durable (or raise)."""
        await self._flush()
        tasks, self._tasks = self._tasks, []
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def abandon(self) -> None:
        """Stop, wait for writes in flight, and delete everything written."""
        tasks, self._tasks = self._tasks, []
        self._group = []
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await discard_objects(self.state, self.written, forget=False)
        self.written = []


async def _sha256(data: bytes) -> str:
    if len(data) <= INLINE_HASH_BYTES:
        return hashlib.sha256(data).hexdigest()
    return await run_in_threadpool(lambda: hashlib.sha256(data).hexdigest())


async def _parse(
    chunks: AsyncIterator[bytes], prefix: str, writer: _Writer, members: list[Member]
) -> None:
    """Walk the stream, fill ``members`` and queue accepted data with ``writer``."""
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
            raise ApiProblem(
                413,
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
        member.object_id = writer.new_id()
        member.size = len(data)
        member.sha256 = sha
        member.content_type = content_type
        member.metadata = metadata
        await writer.add(member.object_id, data)
    await stream.drain()  # the end-of-archive padding
    if stream.received == 0:  # the body is required: no body is not an empty archive
        raise TarError("the request has no body (a tar stream is required)")


def _commit(
    state: AppState, bucket_id: str, stored: list[Member], overwrite: bool
) -> tuple[list[str], list[str]]:
    """One transaction for the whole batch; returns (replaced objects, refused objects)."""
    now = utcnow()
    blobs = cast(Table, Blob.__table__)
    ledger = cast(Table, ObjectLedger.__table__)
    replaced: list[str] = []
    refused: list[str] = []
    with state.db.session() as s:
        # Lock the bucket row first (see blob_ops.commit_blob): writers of one bucket serialise,
        # so the existing rows read below cannot change before this transaction commits.
        locked = s.execute(
            update(Bucket).where(Bucket.id == bucket_id).values(version=Bucket.version)
        )
        if not getattr(locked, "rowcount", 1):
            raise ApiProblem(404, "not_found", "bucket not found")
        existing: dict[str, tuple[int, str, int, datetime]] = {}
        keys = [m.key for m in stored]
        for start in range(0, len(keys), KEYS_PER_QUERY):
            rows = s.execute(
                select(Blob.key, Blob.id, Blob.object_id, Blob.size, Blob.created_at).where(
                    Blob.bucket_id == bucket_id, Blob.key.in_(keys[start : start + KEYS_PER_QUERY])
                )
            )
            for key, row_id, object_id, size, created_at in rows:
                existing[key] = (row_id, object_id, size, created_at)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        delta_bytes = 0
        for m in stored:
            assert m.object_id is not None
            old = existing.get(m.key)
            if old is not None and not overwrite:
                m.error = "exists"
                refused.append(m.object_id)
                continue
            m.modified_at = now
            delta_bytes += m.size
            fields = {
                "object_id": m.object_id,
                "size": m.size,
                "etag": blob_ops.etag_for(m.sha256),
                "md5": None,
                "sha256": m.sha256,
                "content_type": m.content_type,
                "meta": m.metadata or {},
                "modified_at": now,
            }
            if old is None:
                m.created_at = now
                inserts.append({"bucket_id": bucket_id, "key": m.key, "created_at": now, **fields})
            else:
                row_id, old_object, old_size, created_at = old
                m.created_at = created_at
                delta_bytes -= old_size
                replaced.append(old_object)
                updates.append({"b_id": row_id, **{f"b_{k}": v for k, v in fields.items()}})
        if inserts:
            s.execute(blobs.insert(), inserts)
        if updates:
            s.execute(
                blobs.update()
                .where(blobs.c.id == bindparam("b_id"))
                .values({n[2:]: bindparam(n) for n in updates[0] if n != "b_id"}),
                updates,
            )
            s.execute(
                ledger.insert(),
                [{"object_id": oid, "state": "dead", "created_at": now} for oid in replaced],
            )
        if inserts or updates:
            s.execute(
                update(Bucket)
                .where(Bucket.id == bucket_id)
                .values(
                    bytes_used=Bucket.bytes_used + delta_bytes,
                    object_count=Bucket.object_count + len(inserts),
                )
            )
    return replaced, refused


async def put_batch(
    state: AppState, chunks: AsyncIterator[bytes], bucket_id: str, prefix: str, overwrite: bool
) -> dict[str, Any]:
    """Store the members of a tar stream under ``prefix``; returns the BlobBatchResult."""
    writer = _Writer(state)
    members: list[Member] = []
    try:
        try:
            await _parse(chunks, prefix, writer, members)
        except TarError as exc:
            raise ApiProblem(
                400, "invalid_tar", f"{exc}; nothing was stored", headers={"Connection": "close"}
            ) from None
        except StreamTooLarge:
            raise ApiProblem(
                413,
                "payload_too_large",
                f"a batch is limited to {MAX_REQUEST_BYTES} bytes; split the archive",
                headers={"Connection": "close"},
            ) from None
        await writer.finish()
        stored = [m for m in members if m.object_id is not None]
        replaced, refused = await run_in_threadpool(_commit, state, bucket_id, stored, overwrite)
    except BaseException:
        await writer.abandon()
        raise
    await discard_objects(state, replaced)
    await discard_objects(state, refused, forget=False)
    results = [m.as_json() for m in members]
    ok = [m for m in members if m.error is None and m.object_id is not None]
    return {
        "results": results,
        "stored": len(ok),
        "failed": len(members) - len(ok),
        "bytes": sum(m.size for m in ok),
    }
