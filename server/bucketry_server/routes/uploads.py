"""Multipart uploads: initiate → put parts (any order, in parallel, re-sendable) → list parts
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
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from .. import blob_ops
from ..auth import CurrentPrincipal, Principal, State, bucket_for_write
from ..ids import new_id
from ..keys import check_key, check_prefix
from ..maintenance import discard_objects
from ..models import Blob, ObjectLedger, Upload, UploadPart
from ..pagination import keyset_page
from ..problems import ApiProblem, not_found
from ..state import AppState
from ..storage.base import ChecksumMismatchError, Expected, ObjectMissingError, WriteResult
from ..timeutil import iso, utcnow
from .params import BucketRef, ChecksumSHA256, ContentMD5, Cursor, JsonInt, PageSize

router = APIRouter(tags=["uploads"])

_Row = TypeVar("_Row", Upload, UploadPart)

#: Largest single part, like S3 (5 GiB). Module-level so tests can lower it.
MAX_PART_SIZE = 5 * 1024**3
#: User metadata is stored with the blob; keep it as small as the header form allows.
MAX_METADATA_BYTES = 2048

PartNumber = Annotated[int, Path(ge=1, le=10000)]


# ---------------------------------------------------------------------------- bodies


class UploadCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    key: str = Field(min_length=1, max_length=1024)
    content_type: str | None = Field(default=None, max_length=255)
    metadata: dict[str, str] = Field(default_factory=dict)
    size: JsonInt | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, max_length=64)
    if_none_match: str | None = Field(default=None, max_length=200)


class CompletedPart(BaseModel):
    model_config = ConfigDict(strict=True)
    part_number: JsonInt = Field(ge=1, le=10000)
    etag: str = Field(max_length=200)


class UploadComplete(BaseModel):
    model_config = ConfigDict(strict=True)
    parts: list[CompletedPart] = Field(min_length=1, max_length=10000)


# ---------------------------------------------------------------------------- helpers


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


# ---------------------------------------------------------------------------- list / create


@router.get("/buckets/{bucket}/uploads")
def uploads_list(
    bucket: BucketRef,
    p: CurrentPrincipal,
    state: State,
    key: Annotated[str | None, Query(max_length=1024)] = None,
    prefix: Annotated[str | None, Query(max_length=1024)] = None,
    page_size: PageSize = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
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


@router.post("/buckets/{bucket}/uploads", status_code=201)
def uploads_create(
    bucket: BucketRef, body: UploadCreate, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    p.require_user()
    check_key(body.key)
    sha256 = blob_ops.parse_expected(None, body.sha256).sha256_hex if body.sha256 else None
    if len(json.dumps(body.metadata, separators=(",", ":")).encode()) > MAX_METADATA_BYTES:
        raise ApiProblem(
            400, "invalid_metadata", f"metadata larger than {MAX_METADATA_BYTES} bytes as JSON"
        )
    if body.size is not None and body.size > state.settings.max_blob_bytes:
        raise ApiProblem(
            400,
            "too_large",
            f"size exceeds the largest blob ({state.settings.max_blob_bytes} bytes)",
        )
    if_none_match = body.if_none_match.strip() if body.if_none_match else None
    now = utcnow()
    with state.db.session() as s:
        b = bucket_for_write(s, p, bucket)
        if if_none_match:
            existing = s.scalar(select(Blob).where(Blob.bucket_id == b.id, Blob.key == body.key))
            blob_ops.check_preconditions(existing, None, if_none_match)
        upload = Upload(
            id=new_id("upl"),
            bucket_id=b.id,
            key=body.key,
            content_type=body.content_type,
            meta=dict(body.metadata),
            size=body.size,
            sha256=sha256,
            if_none_match=if_none_match,
            created_by=p.user_id,
            created_at=now,
            expires_at=now + timedelta(seconds=state.settings.upload_ttl_seconds),
        )
        s.add(upload)
        s.flush()
        return upload_json(state, upload, [])


# ---------------------------------------------------------------------------- get / abort


@router.get("/buckets/{bucket}/uploads/{upload_id}")
def uploads_get(
    bucket: BucketRef, upload_id: str, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    p.require_user()
    with state.db.session() as s:
        b = bucket_for_write(s, p, bucket)
        upload = _live_upload(s, b.id, upload_id)
        return upload_json(state, upload, _parts_of(s, upload.id))


def _drop_upload(s: Session, upload_id: str, parts: list[UploadPart], ledger_state: str) -> None:
    """Delete an upload's rows, marking its part objects (``pending``/``dead``) in the ledger."""
    now = utcnow()
    for part in parts:
        s.merge(ObjectLedger(object_id=part.object_id, state=ledger_state, created_at=now))
    s.execute(delete(UploadPart).where(UploadPart.upload_id == upload_id))
    s.execute(delete(Upload).where(Upload.id == upload_id))


@router.delete("/buckets/{bucket}/uploads/{upload_id}", status_code=204)
async def uploads_abort(
    bucket: BucketRef, upload_id: str, p: CurrentPrincipal, state: State
) -> Response:
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
    return Response(status_code=204)


# ---------------------------------------------------------------------------- parts


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
        part.etag = blob_ops.etag_for(result.sha256_hex)
        part.sha256 = result.sha256_hex
        part.created_at = now
        s.execute(delete(ObjectLedger).where(ObjectLedger.object_id == object_id))
        s.flush()
        return part, replaced


@router.put("/buckets/{bucket}/uploads/{upload_id}/parts/{part_number}")
async def uploads_put_part(
    bucket: BucketRef,
    upload_id: str,
    part_number: PartNumber,
    request: Request,
    p: CurrentPrincipal,
    state: State,
    content_md5: ContentMD5 = None,
    x_checksum_sha256: ChecksumSHA256 = None,
) -> Response:
    p.require_user()
    expected = blob_ops.parse_expected(content_md5, x_checksum_sha256, max_size=MAX_PART_SIZE)
    if part_number > state.settings.max_parts:
        raise ApiProblem(400, "too_many_parts", f"part numbers go up to {state.settings.max_parts}")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_PART_SIZE:
        raise ApiProblem(413, "payload_too_large", f"a part is at most {MAX_PART_SIZE} bytes")

    def check() -> str:
        bucket_id = _bucket_id_for_write(state, p, bucket)
        with state.db.session() as s:
            _live_upload(s, bucket_id, upload_id)
        return bucket_id

    bucket_id = await run_in_threadpool(check)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            if chunk:
                yield chunk

    oid, result = await blob_ops.reserve_and_write(state, body(), expected)
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
    content = part_json(part)
    return Response(
        json.dumps(content, separators=(",", ":")),
        status_code=200,
        media_type="application/json",
        headers={"ETag": part.etag},
    )


# ---------------------------------------------------------------------------- complete


class _Claim:
    """What completion took out of the database, to compose from or to put back."""

    def __init__(self, upload: Upload, parts: list[UploadPart], chosen: list[UploadPart]) -> None:
        self.upload = upload
        self.parts = parts  # every part received
        self.chosen = chosen  # the listed ones, in order


def _claim_for_completion(
    state: AppState, bucket_id: str, upload_id: str, listed: list[CompletedPart], new_oid: str
) -> _Claim:
    """Validate the part list and take the upload out of the database (one transaction)."""
    settings = state.settings
    numbers = [c.part_number for c in listed]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise ApiProblem(
            400, "invalid_part_order", "parts must be listed once each, by ascending part number"
        )
    if len(listed) > settings.max_parts:
        raise ApiProblem(400, "too_many_parts", f"at most {settings.max_parts} parts")
    now = utcnow()
    with state.db.session() as s:
        upload = _lock_upload(s, bucket_id, upload_id, now)
        parts = _parts_of(s, upload_id)
        by_number = {part.part_number: part for part in parts}
        chosen: list[UploadPart] = []
        for c in listed:
            part = by_number.get(c.part_number)
            if part is None:
                raise ApiProblem(400, "invalid_part", f"part {c.part_number} was not uploaded")
            if _norm_etag(c.etag) != _norm_etag(part.etag):
                raise ApiProblem(
                    400,
                    "invalid_part",
                    f"part {c.part_number}: ETag {c.etag} does not match the stored {part.etag}",
                )
            chosen.append(part)
        for part in chosen[:-1]:
            if part.size < settings.min_part_size:
                raise ApiProblem(
                    400,
                    "part_too_small",
                    f"part {part.part_number} has {part.size} bytes; every part but the last "
                    f"must have at least {settings.min_part_size}",
                )
        total = sum(part.size for part in chosen)
        if upload.size is not None and total != upload.size:
            raise ApiProblem(
                400,
                "size_mismatch",
                f"the parts add up to {total} bytes, the upload declared {upload.size}",
            )
        if total > settings.max_blob_bytes:
            raise ApiProblem(400, "too_large", f"a blob is at most {settings.max_blob_bytes} bytes")
        if upload.if_none_match:
            existing = s.scalar(
                select(Blob).where(Blob.bucket_id == bucket_id, Blob.key == upload.key)
            )
            blob_ops.check_preconditions(existing, None, upload.if_none_match)
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


@router.post("/buckets/{bucket}/uploads/{upload_id}/complete", status_code=201)
async def uploads_complete(
    bucket: BucketRef, upload_id: str, body: UploadComplete, p: CurrentPrincipal, state: State
) -> dict[str, Any]:
    p.require_user()
    new_oid = new_id("obj")

    def claim() -> _Claim:
        bucket_id = _bucket_id_for_write(state, p, bucket)
        return _claim_for_completion(state, bucket_id, upload_id, body.parts, new_oid)

    c = await run_in_threadpool(claim)
    u = c.upload
    try:
        chosen_ids = [part.object_id for part in c.chosen]
        try:
            # Mostly hashed already while the parts arrived; only the rest is read now.
            digest = await state.rolling.finish(upload_id, chosen_ids)
            result = await state.store.compose(
                new_oid, chosen_ids, Expected(sha256_hex=u.sha256), sha256_hex=digest
            )
        except ChecksumMismatchError as exc:
            raise ApiProblem(
                400, "checksum_mismatch", f"the assembled blob does not match: {exc}"
            ) from exc
        except ObjectMissingError as exc:
            raise ApiProblem(409, "part_missing", f"a part's data is missing: {exc}") from exc
        blob = await blob_ops.commit_blob(
            state,
            u.bucket_id,
            u.key,
            new_oid,
            result,
            content_type=u.content_type or "application/octet-stream",
            metadata=dict(u.meta or {}),
            if_none_match=u.if_none_match,
        )
    except BaseException:
        await discard_objects(state, [new_oid])  # idempotent; clears the pending mark
        if not await run_in_threadpool(_restore, state, c):
            await _free_parts(state, c)
        raise
    await _free_parts(state, c)
    return blob_ops.blob_json(blob)
