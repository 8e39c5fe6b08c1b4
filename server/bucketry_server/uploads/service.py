"""Multipart uploads (the protocol, callable without a request): initiate → put parts (any order, in parallel, re-sendable) → list parts
(resume) → complete (atomic) → abort. Abandoned uploads expire (``maintenance.expire_uploads``).

Every part is an object of its own, written with the managed-blob protocol (``pending`` ledger
mark, bytes, then one transaction that records the part row and drops the mark). Completion
composes the listed part objects into a new object and commits it as the blob.

Concurrency. Each transaction that changes an upload starts with a no-op ``UPDATE`` of the
upload row: on PostgreSQL it takes the row lock, on SQLite (whose driver opens the write
transaction at the first DML statement) it takes the database write lock, so the reads that
follow see the latest committed state and no other writer interleaves. Completion *claims* the
upload by deleting its rows (a second completion finds nothing: 404) before the long compose,
which runs outside any transaction; if the compose or the commit fails, the upload and its parts
are put back so the client can fix and retry.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_write
from ..accounts.principals import Principal
from ..backends.base import BlobRecord, WriteSpec
from ..backends.conditions import check_preconditions, etag_for
from ..backends.managed.catalogue import write_object
from ..backends.managed.objects import discard_objects
from ..backends.registry import backend_for
from ..blobs.validation import OCTET_STREAM, parse_expected
from ..errors import Conflict, Invalid, TooLarge, not_found
from ..ids import new_id
from ..keys import check_key, check_prefix
from ..models import Blob, Bucket, ObjectLedger, Upload, UploadPart
from ..pagination import keyset_page
from ..state import AppState
from ..storage.base import ChecksumMismatchError, Expected, ObjectMissingError, WriteResult
from ..timeutil import iso, utcnow

_Row = TypeVar("_Row", Upload, UploadPart)

#: Largest single part, like S3 (5 GiB). Module-level so tests can lower it.
MAX_PART_SIZE = 5 * 1024**3
#: User metadata is stored with the blob; keep it as small as the header form allows.
MAX_METADATA_BYTES = 2048


def part_json(p: UploadPart) -> dict[str, Any]:
    return {
        "part_number": p.part_number,
        "size": p.size,
        "etag": p.etag,
        "sha256": p.sha256,
        "created_at": iso(p.created_at),
    }


def upload_json(state: AppState, u: Upload, parts: list[UploadPart]) -> dict[str, Any]:
    return {
        "id": u.id,
        "bucket_id": u.bucket_id,
        "key": u.key,
        "content_type": u.content_type,
        "metadata": dict(u.meta or {}),
        "size": u.size,
        "created_at": iso(u.created_at),
        "expires_at": iso(u.expires_at),
        "parts": [part_json(p) for p in sorted(parts, key=lambda p: p.part_number)],
        "min_part_size": state.settings.min_part_size,
        "max_parts": state.settings.max_parts,
    }


def _parts_of(s: Session, upload_id: str) -> list[UploadPart]:
    return list(
        s.scalars(
            select(UploadPart)
            .where(UploadPart.upload_id == upload_id)
            .order_by(UploadPart.part_number)
        ).all()
    )


def _lock_upload(s: Session, bucket_id: str, upload_id: str, now: datetime) -> Upload:
    """Take the write lock on a live upload of this bucket (first statement of a transaction)."""
    result = cast(
        "CursorResult[Any]",
        s.execute(
            update(Upload)
            .where(
                Upload.id == upload_id,
                Upload.bucket_id == bucket_id,
                Upload.expires_at > now,
            )
            .values(expires_at=Upload.expires_at)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise not_found("upload")
    upload = s.get(Upload, upload_id, populate_existing=True)
    if upload is None:  # pragma: no cover - we hold the lock
        raise not_found("upload")
    return upload


def _live_upload(s: Session, bucket_id: str, upload_id: str) -> Upload:
    upload = s.get(Upload, upload_id)
    if upload is None or upload.bucket_id != bucket_id or upload.expires_at <= utcnow():
        raise not_found("upload")
    return upload


def _norm_etag(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


def _bucket_id_for_write(state: AppState, p: Principal, ref: str) -> str:
    with state.db.session() as s:
        return bucket_for_write(s, p, ref).id


def _bucket_for_write(state: AppState, p: Principal, ref: str) -> Bucket:
    with state.db.session() as s:
        return bucket_for_write(s, p, ref)


def _drop_upload(s: Session, upload_id: str, parts: list[UploadPart], ledger_state: str) -> None:
    """Delete an upload's rows, marking its part objects (``pending``/``dead``) in the ledger."""
    now = utcnow()
    for part in parts:
        s.merge(ObjectLedger(object_id=part.object_id, state=ledger_state, created_at=now))
    s.execute(delete(UploadPart).where(UploadPart.upload_id == upload_id))
    s.execute(delete(Upload).where(Upload.id == upload_id))


def commit_part(
    state: AppState,
    bucket_id: str,
    upload_id: str,
    part_number: int,
    object_id: str,
    result: WriteResult,
) -> tuple[UploadPart, str | None]:
    """Record a written part object in one transaction that also drops its ``pending`` mark and
    marks the object of a replaced part ``dead``. Returns the part and the replaced object id.
    Raises 404 if the upload vanished meanwhile (completed, aborted, expired)."""
    now = utcnow()
    with state.db.session() as s:
        _lock_upload(s, bucket_id, upload_id, now)
        replaced: str | None = None
        part = s.get(UploadPart, (upload_id, part_number), populate_existing=True)
        if part is None:
            part = UploadPart(upload_id=upload_id, part_number=part_number)
            s.add(part)
        else:
            replaced = part.object_id
            s.merge(ObjectLedger(object_id=replaced, state="dead", created_at=now))
        part.object_id = object_id
        part.size = result.size
        part.etag = etag_for(result.sha256_hex)
        part.sha256 = result.sha256_hex
        part.created_at = now
        s.execute(delete(ObjectLedger).where(ObjectLedger.object_id == object_id))
        s.flush()
        return part, replaced


class _Claim:
    """What completion took out of the database, to compose from or to put back."""

    def __init__(self, upload: Upload, parts: list[UploadPart], chosen: list[UploadPart]) -> None:
        self.upload = upload
        self.parts = parts  # every part received
        self.chosen = chosen  # the listed ones, in order


def _claim_for_completion(
    state: AppState,
    bucket_id: str,
    upload_id: str,
    listed: Sequence[tuple[int, str]],
    new_oid: str,
) -> _Claim:
    """Validate the part list and take the upload out of the database (one transaction)."""
    settings = state.settings
    numbers = [number for number, _ in listed]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise Invalid(
            "invalid_part_order", "parts must be listed once each, by ascending part number"
        )
    if len(listed) > settings.max_parts:
        raise Invalid("too_many_parts", f"at most {settings.max_parts} parts")
    now = utcnow()
    with state.db.session() as s:
        upload = _lock_upload(s, bucket_id, upload_id, now)
        parts = _parts_of(s, upload_id)
        by_number = {part.part_number: part for part in parts}
        chosen: list[UploadPart] = []
        for number, etag in listed:
            part = by_number.get(number)
            if part is None:
                raise Invalid("invalid_part", f"part {number} was not uploaded")
            if _norm_etag(etag) != _norm_etag(part.etag):
                raise Invalid(
                    "invalid_part",
                    f"part {number}: ETag {etag} does not match the stored {part.etag}",
                )
            chosen.append(part)
        for part in chosen[:-1]:
            if part.size < settings.min_part_size:
                raise Invalid(
                    "part_too_small",
                    f"part {part.part_number} has {part.size} bytes; every part but the last "
                    f"must have at least {settings.min_part_size}",
                )
        total = sum(part.size for part in chosen)
        if upload.size is not None and total != upload.size:
            raise Invalid(
                "size_mismatch",
                f"the parts add up to {total} bytes, the upload declared {upload.size}",
            )
        if total > settings.max_blob_bytes:
            raise Invalid("too_large", f"a blob is at most {settings.max_blob_bytes} bytes")
        if upload.if_none_match:
            existing = s.scalar(
                select(Blob.etag).where(Blob.bucket_id == bucket_id, Blob.key == upload.key)
            )
            check_preconditions(existing, None, upload.if_none_match)
        # Claim: the rows go now (a concurrent completion finds nothing); every object stays
        # marked pending until the outcome is committed, so a crash leaks nothing.
        _drop_upload(s, upload_id, parts, "pending")
        s.add(ObjectLedger(object_id=new_oid, state="pending", created_at=now))
        return _Claim(upload, parts, chosen)


def _fresh_copy(row: _Row) -> _Row:
    """A new, unsaved instance holding ``row``'s column values, to insert the row again."""
    columns = sa_inspect(type(row)).column_attrs
    return type(row)(**{c.key: getattr(row, c.key) for c in columns})


def _restore(state: AppState, claim: _Claim) -> bool:
    """Put a claimed upload back after a failed completion; False if that was impossible."""
    try:
        with state.db.session() as s:
            s.add(_fresh_copy(claim.upload))
            s.flush()
            s.add_all(_fresh_copy(part) for part in claim.parts)
            s.execute(
                delete(ObjectLedger).where(
                    ObjectLedger.object_id.in_([part.object_id for part in claim.parts])
                )
            )
    except Exception:  # e.g. the bucket was deleted meanwhile
        return False
    return True


async def _free_parts(state: AppState, claim: _Claim) -> None:
    ids = [part.object_id for part in claim.parts]

    def mark_dead() -> None:
        with state.db.session() as s:
            s.execute(
                update(ObjectLedger).where(ObjectLedger.object_id.in_(ids)).values(state="dead")
            )

    await run_in_threadpool(mark_dead)
    await discard_objects(state, ids)


# ---------------------------------------------------------------------------- the protocol


def list_uploads(
    state: AppState,
    p: Principal,
    bucket: str,
    *,
    key: str | None = None,
    prefix: str | None = None,
    cursor: str | None = None,
    page_size: int = 100,
) -> dict[str, Any]:
    """One page (``UploadPage``) of the live uploads of a bucket the caller may write to,
    optionally of one ``key`` or under ``prefix``. Blocking: call from a worker thread."""
    p.require_user()  # uploads are never anonymous: 401 before anything else
    if key is not None:
        check_key(key)
    if prefix is not None:
        check_prefix(prefix)
    with state.db.session() as s:
        b = bucket_for_write(s, p, bucket)
        stmt = select(Upload).where(Upload.bucket_id == b.id, Upload.expires_at > utcnow())
        if key is not None:
            stmt = stmt.where(Upload.key == key)
        if prefix:
            # Not LIKE: SQLite's LIKE ignores ASCII case and '%'/'_' would need escaping.
            stmt = stmt.where(
                Upload.key >= prefix, func.substr(Upload.key, 1, len(prefix)) == prefix
            )
        rows, nxt = keyset_page(
            s, stmt, [Upload.key, Upload.created_at, Upload.id], cursor, page_size, tag="upl"
        )
        by_upload: dict[str, list[UploadPart]] = {u.id: [] for u in rows}
        if rows:
            for part in s.scalars(
                select(UploadPart).where(UploadPart.upload_id.in_(list(by_upload)))
            ).all():
                by_upload[part.upload_id].append(part)
        return {
            "results": [upload_json(state, u, by_upload[u.id]) for u in rows],
            "next_cursor": nxt,
        }


def create_upload(
    state: AppState,
    p: Principal,
    bucket: str,
    key: str,
    *,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
    size: int | None = None,
    sha256: str | None = None,
    if_none_match: str | None = None,
) -> dict[str, Any]:
    """Start a multipart upload of ``key`` (``Upload``). ``if_none_match`` is checked now and
    again at completion. Blocking: call from a worker thread."""
    p.require_user()
    check_key(key)
    metadata = dict(metadata or {})
    sha256_hex = parse_expected(None, sha256).sha256_hex if sha256 else None
    if len(json.dumps(metadata, separators=(",", ":")).encode()) > MAX_METADATA_BYTES:
        raise Invalid(
            "invalid_metadata", f"metadata larger than {MAX_METADATA_BYTES} bytes as JSON"
        )
    if size is not None and size > state.settings.max_blob_bytes:
        raise Invalid(
            "too_large",
            f"size exceeds the largest blob ({state.settings.max_blob_bytes} bytes)",
        )
    if_none_match = if_none_match.strip() if if_none_match else None
    now = utcnow()
    with state.db.session() as s:
        b = bucket_for_write(s, p, bucket)
        if if_none_match:
            existing = s.scalar(select(Blob.etag).where(Blob.bucket_id == b.id, Blob.key == key))
            check_preconditions(existing, None, if_none_match)
        upload = Upload(
            id=new_id("upl"),
            bucket_id=b.id,
            key=key,
            content_type=content_type,
            meta=metadata,
            size=size,
            sha256=sha256_hex,
            if_none_match=if_none_match,
            created_by=p.user_id,
            created_at=now,
            expires_at=now + timedelta(seconds=state.settings.upload_ttl_seconds),
        )
        s.add(upload)
        s.flush()
        return upload_json(state, upload, [])


def get_upload(state: AppState, p: Principal, bucket: str, upload_id: str) -> dict[str, Any]:
    """A live upload with its parts (``Upload``); blocking."""
    p.require_user()
    with state.db.session() as s:
        b = bucket_for_write(s, p, bucket)
        upload = _live_upload(s, b.id, upload_id)
        return upload_json(state, upload, _parts_of(s, upload.id))


async def abort_upload(state: AppState, p: Principal, bucket: str, upload_id: str) -> None:
    """Drop an upload and its parts' data; ``NotFound`` if it is not live."""
    p.require_user()

    def abort() -> list[str]:
        bucket_id = _bucket_id_for_write(state, p, bucket)
        with state.db.session() as s:
            _lock_upload(s, bucket_id, upload_id, utcnow())
            parts = _parts_of(s, upload_id)
            _drop_upload(s, upload_id, parts, "dead")
            return [part.object_id for part in parts]

    freed = await run_in_threadpool(abort)
    state.rolling.forget(upload_id)
    await discard_objects(state, freed)


def check_part(state: AppState, p: Principal, part_number: int, declared: int | None) -> None:
    """Refuse a part before its body is read: anonymous callers, part numbers above the
    server's maximum, a declared length above :data:`MAX_PART_SIZE`."""
    p.require_user()
    if part_number > state.settings.max_parts:
        raise Invalid("too_many_parts", f"part numbers go up to {state.settings.max_parts}")
    if declared is not None and declared > MAX_PART_SIZE:
        raise TooLarge("payload_too_large", f"a part is at most {MAX_PART_SIZE} bytes")


async def put_part(
    state: AppState,
    p: Principal,
    bucket: str,
    upload_id: str,
    part_number: int,
    chunks: AsyncIterator[bytes],
    expected: Expected,
) -> UploadPart:
    """Store part ``part_number`` (replacing any earlier one) from ``chunks``; returns it."""

    def check() -> str:
        bucket_id = _bucket_id_for_write(state, p, bucket)
        with state.db.session() as s:
            _live_upload(s, bucket_id, upload_id)
        return bucket_id

    bucket_id = await run_in_threadpool(check)
    oid, result = await write_object(state, chunks, expected)
    try:
        part, replaced = await run_in_threadpool(
            commit_part, state, bucket_id, upload_id, part_number, oid, result
        )
    except BaseException:
        await discard_objects(state, [oid])
        raise
    state.rolling.part_stored(upload_id, part_number, oid)
    if replaced is not None:
        await discard_objects(state, [replaced])
    return part


async def complete_upload(
    state: AppState, p: Principal, bucket: str, upload_id: str, parts: Sequence[tuple[int, str]]
) -> BlobRecord:
    """Compose the listed ``(part number, ETag)`` parts into the blob and commit it through
    the bucket's backend. On failure the upload is put back, so the client can retry."""
    p.require_user()
    new_oid = new_id("obj")

    def claim() -> tuple[Bucket, _Claim]:
        b = _bucket_for_write(state, p, bucket)
        return b, _claim_for_completion(state, b.id, upload_id, parts, new_oid)

    b, c = await run_in_threadpool(claim)
    u = c.upload
    spec = WriteSpec(
        u.content_type or OCTET_STREAM,
        dict(u.meta or {}),
        Expected(sha256_hex=u.sha256),
        if_none_match=u.if_none_match,
    )
    try:
        chosen_ids = [part.object_id for part in c.chosen]
        try:
            # Mostly hashed already while the parts arrived; only the rest is read now.
            digest = await state.rolling.finish(upload_id, chosen_ids)
            blob = await backend_for(state, b).compose(
                u.key, chosen_ids, digest, spec, object_id=new_oid
            )
        except ChecksumMismatchError as exc:
            raise Invalid("checksum_mismatch", f"the assembled blob does not match: {exc}") from exc
        except ObjectMissingError as exc:
            raise Conflict("part_missing", f"a part's data is missing: {exc}") from exc
    except BaseException:
        await discard_objects(state, [new_oid])  # idempotent; clears the pending mark
        if not await run_in_threadpool(_restore, state, c):
            await _free_parts(state, c)
        raise
    await _free_parts(state, c)
    return blob
