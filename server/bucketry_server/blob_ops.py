"""The managed-blob write protocol shared by PUT, signed PUT, copy and multipart completion.

1. the bytes go to the object store under a new object id (visible there only when complete),
2. ``commit_blob()`` atomically points the key at the new object, checks the preconditions again
(a racing writer may have won), updates the bucket's usage counters and marks any replaced object
dead; 3. dead objects are deleted after the commit. A crash between 1 and 2 leaves an object no
row references: the start-up sweep (``maintenance``) deletes those, so no ledger write is needed
before the body is streamed (one write transaction per PUT, not two).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from .attributes import printable, printable_metadata
from .ids import new_id
from .maintenance import discard_objects
from .models import Blob, Bucket, ObjectLedger
from .problems import ApiProblem
from .state import AppState
from .storage.base import ChecksumMismatchError, Expected, TooLargeError, WriteResult
from .timeutil import iso, utcnow


def blob_json(b: Any) -> dict[str, Any]:
    """A Blob row (ORM object or a plain row with the same column names) as API JSON; stored
    strings UTF-8 cannot carry (rows older than the validation) are rendered with U+FFFD."""
    return {
        "key": b.key,
        "size": b.size,
        "etag": b.etag,
        "content_type": printable(b.content_type),
        "sha256": b.sha256,
        "metadata": printable_metadata(b.meta),
        "created_at": iso(b.created_at),
        "modified_at": iso(b.modified_at),
    }


def etag_for(sha256_hex: str) -> str:
    """Strong, content-derived ETag (128 bits of the SHA-256, which is always computed)."""
    return f'"{sha256_hex[:32]}"'


def etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 list matching (weak comparison is fine for our strong content ETags)."""
    wanted = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in wanted or etag in wanted


def check_preconditions(
    existing: Blob | None, if_match: str | None, if_none_match: str | None
) -> None:
    if if_none_match is not None and existing is not None:
        if etag_matches(if_none_match, existing.etag):
            raise ApiProblem(412, "precondition_failed", "the key already exists (If-None-Match)")
    if if_match is not None and (existing is None or not etag_matches(if_match, existing.etag)):
        raise ApiProblem(412, "precondition_failed", "the blob's ETag does not match If-Match")


def parse_expected(
    content_md5: str | None, sha256: str | None, max_size: int | None = None
) -> Expected:
    """Client checksums → hex; a malformed header is a 400, not a silent skip."""
    md5_hex = None
    if content_md5:
        try:
            raw = base64.b64decode(content_md5, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiProblem(400, "invalid_checksum", "Content-MD5 must be base64") from exc
        if len(raw) != 16:
            raise ApiProblem(400, "invalid_checksum", "Content-MD5 must encode 16 bytes")
        md5_hex = raw.hex()
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ApiProblem(400, "invalid_checksum", "X-Checksum-SHA256 must be 64 hex digits")
    return Expected(md5_hex=md5_hex, sha256_hex=sha256, max_size=max_size)


async def reserve_and_write(
    state: AppState,
    chunks: AsyncIterator[bytes],
    expected: Expected,
    object_id: str | None = None,
) -> tuple[str, WriteResult]:
    """Write a new object (under ``object_id`` if given); checksum/size failures become
    400/413 with nothing kept."""
    oid = object_id or new_id("obj")
    try:
        result = await state.store.write(oid, chunks, expected)
    except ChecksumMismatchError as exc:
        await discard_objects(state, [oid])
        raise ApiProblem(400, "checksum_mismatch", str(exc)) from exc
    except TooLargeError as exc:
        await discard_objects(state, [oid])
        raise ApiProblem(413, "payload_too_large", str(exc)) from exc
    except BaseException:
        await discard_objects(state, [oid])
        raise
    return oid, result


async def commit_blob(
    state: AppState,
    bucket_id: str,
    key: str,
    object_id: str,
    result: WriteResult,
    *,
    content_type: str,
    metadata: dict[str, str],
    if_match: str | None = None,
    if_none_match: str | None = None,
    also: Callable[[Session], None] | None = None,
) -> Blob:
    """Point ``key`` at ``object_id`` atomically; on failure the new object is discarded.
    The transaction runs in a worker thread, off the event loop. ``also`` runs inside the same
    transaction once the preconditions hold (multipart completion deletes its upload there);
    whatever it raises aborts the commit. Raises 404 (bucket gone), 412 (preconditions)."""

    def transaction() -> tuple[Blob, str | None]:
        now = utcnow()
        replaced: str | None = None
        with state.db.session() as s:
            # Lock the bucket row first: on SQLite this takes the write lock before the read
            # below, on PostgreSQL it serialises writers of one bucket, so two racing creates
            # of one key cannot both miss the existing row (and trip the unique constraint).
            locked = s.execute(
                update(Bucket).where(Bucket.id == bucket_id).values(version=Bucket.version)
            )
            if not getattr(locked, "rowcount", 1):
                raise ApiProblem(404, "not_found", "bucket not found")
            existing = s.scalar(
                select(Blob).where(Blob.bucket_id == bucket_id, Blob.key == key).with_for_update()
            )
            check_preconditions(existing, if_match, if_none_match)
            if also is not None:
                also(s)
            fields = {
                "object_id": object_id,
                "size": result.size,
                "etag": etag_for(result.sha256_hex),
                "md5": result.md5_hex,
                "sha256": result.sha256_hex,
                "content_type": content_type,
                "meta": metadata,
                "modified_at": now,
            }
            if existing is None:
                blob = Blob(bucket_id=bucket_id, key=key, created_at=now, **fields)
                s.add(blob)
                delta_bytes, delta_objects = result.size, 1
            else:
                replaced = existing.object_id
                delta_bytes, delta_objects = result.size - existing.size, 0
                for name, value in fields.items():
                    setattr(existing, name, value)
                blob = existing
                mark_objects(s, [replaced], "dead")
            s.execute(
                update(Bucket)
                .where(Bucket.id == bucket_id)
                .values(
                    bytes_used=Bucket.bytes_used + delta_bytes,
                    object_count=Bucket.object_count + delta_objects,
                )
            )
            s.execute(delete(ObjectLedger).where(ObjectLedger.object_id == object_id))
            s.flush()
        return blob, replaced

    try:
        blob, replaced = await run_in_threadpool(transaction)
    except BaseException:
        await discard_objects(state, [object_id])
        raise
    if replaced is not None:
        await discard_objects(state, [replaced])
    return blob


def mark_objects(s: Session, object_ids: list[str], ledger_state: str) -> None:
    """Record objects in the ledger as ``ledger_state`` (``pending``/``dead``), idempotently:
    an object already there takes the new state (INSERT … ON CONFLICT DO UPDATE)."""
    if not object_ids:
        return
    now = utcnow()
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ObjectLedger).values(
        [{"object_id": oid, "state": ledger_state, "created_at": now} for oid in object_ids]
    )
    s.execute(
        stmt.on_conflict_do_update(
            index_elements=[ObjectLedger.object_id], set_={"state": stmt.excluded.state}
        )
    )


async def delete_blob_rows(
    state: AppState, bucket_id: str, blob_ids: list[int], *, if_match: str | None = None
) -> list[Blob]:
    """Delete blobs by row id (those still present) and their objects; returns what went.
    ``if_match`` is checked again inside the transaction (412 if a racing write changed the
    blob). Safe against concurrent writes of the same keys: the bucket row is locked first,
    as ``commit_blob`` does, so the rows read are the latest and the ledger marks cannot clash."""
    if not blob_ids:
        return []

    def transaction() -> list[Blob]:
        with state.db.session() as s:
            s.execute(update(Bucket).where(Bucket.id == bucket_id).values(version=Bucket.version))
            gone = list(
                s.scalars(
                    select(Blob)
                    .where(Blob.id.in_(blob_ids), Blob.bucket_id == bucket_id)
                    .with_for_update()
                ).all()
            )
            if not gone:
                return []
            if if_match is not None:
                for b in gone:
                    check_preconditions(b, if_match, None)
            s.execute(delete(Blob).where(Blob.id.in_([b.id for b in gone])))
            mark_objects(s, [b.object_id for b in gone], "dead")
            s.execute(
                update(Bucket)
                .where(Bucket.id == bucket_id)
                .values(
                    bytes_used=Bucket.bytes_used - sum(b.size for b in gone),
                    object_count=Bucket.object_count - len(gone),
                )
            )
            return gone

    gone = await run_in_threadpool(transaction)
    await discard_objects(state, [b.object_id for b in gone])
    return gone
