"""Parts of a multipart upload (:mod:`.service` has the rest of the protocol): refusing a
part before its body is read, storing it (in the server's store, or at the provider for an
upload on the provider's own multipart) and recording it. On SQLite the record joins the
process's group commit (:mod:`..groupcommit`), so the concurrent parts and PUTs of a process
queue for the database once, together."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..accounts.bucket_cache import WRITABLE
from ..accounts.principals import Principal
from ..backends.conditions import version_etag
from ..backends.managed.catalogue import mark_objects, write_object
from ..backends.managed.objects import commit_failed, discard_objects, forget_ledger
from ..backends.registry import backend_for
from ..crc32c import to_wire
from ..errors import Conflict, DomainError, Invalid, TooLarge, not_found
from ..groupcommit import run_write
from ..models import Bucket, Upload, UploadPart
from ..state import AppState
from ..storage.base import Expected, WriteResult
from ..timeutil import utcnow
from .live import LIVE, LiveUpload
from .service import MAX_PART_SIZE, live_upload, writable_bucket


async def commit_part(
    state: AppState,
    bucket_id: str,
    upload_id: str,
    part_number: int,
    object_id: str,
    result: WriteResult,
    *,
    provider_part: str | None = None,
) -> tuple[UploadPart, str | None, bool]:
    """Record a written part object in one transaction that also drops its ``pending`` mark and
    marks the object of a replaced part ``dead``; on SQLite that transaction is shared with
    the process's other concurrent commits (:mod:`..groupcommit`: one writer at a time there,
    so concurrent parts and PUTs queue once instead of each in turn). Returns the part, the
    replaced object id and whether the upload will need a SHA-256 of the whole (it declared
    one, or this part came with one). A part stored at the provider has ``provider_part``
    (its token) and ``object_id`` "". Raises 404 if the upload vanished meanwhile
    (completed, aborted, expired)."""
    return await run_write(
        state.db,
        lambda s: _commit_part_in(
            s, bucket_id, upload_id, part_number, object_id, result, provider_part
        ),
    )


_UPLOADS = cast(Table, Upload.__table__)
_PARTS = cast(Table, UploadPart.__table__)
# Built once (compiled once): the ORM's unit of work cost most of a part commit's time, and
# on SQLite that time is spent holding the write gate.
#: Locks a live upload of the bucket (a no-op update: the write lock, as :func:`lock_upload`).
_LOCK = (
    _UPLOADS.update()
    .where(
        _UPLOADS.c.id == bindparam("u_id"),
        _UPLOADS.c.bucket_id == bindparam("b_id"),
        _UPLOADS.c.expires_at > bindparam("now"),
        _UPLOADS.c.completing.is_(None),
    )
    .values(expires_at=_UPLOADS.c.expires_at)
)
_DECLARED_SHA = select(_UPLOADS.c.sha256).where(_UPLOADS.c.id == bindparam("u_id"))
_OLD_PART = select(_PARTS.c.object_id).where(
    _PARTS.c.upload_id == bindparam("u_id"), _PARTS.c.part_number == bindparam("n")
)
_INSERT_PART = _PARTS.insert()
_PART_FIELDS = ("object_id", "provider_part", "size", "etag", "sha256", "crc32c", "created_at")
_UPDATE_PART = (
    _PARTS.update()
    .where(_PARTS.c.upload_id == bindparam("u_id"), _PARTS.c.part_number == bindparam("n"))
    .values({name: bindparam(f"p_{name}") for name in _PART_FIELDS})
)


def _commit_part_in(
    s: Session,
    bucket_id: str,
    upload_id: str,
    part_number: int,
    object_id: str,
    result: WriteResult,
    provider_part: str | None = None,
) -> tuple[UploadPart, str | None, bool]:
    """:func:`commit_part`'s statements in the transaction of ``s``. Its only refusal (404:
    no live upload) comes before anything is written, as a group commit requires."""
    now = utcnow()
    conn = s.connection()
    locked = conn.execute(_LOCK, {"u_id": upload_id, "b_id": bucket_id, "now": now})
    if locked.rowcount != 1:
        raise not_found("upload")
    declared_sha = conn.execute(_DECLARED_SHA, {"u_id": upload_id}).scalar()
    key = {"u_id": upload_id, "n": part_number}
    old = conn.execute(_OLD_PART, key).first()
    part = UploadPart(
        upload_id=upload_id,
        part_number=part_number,
        object_id=object_id,
        provider_part=provider_part,
        size=result.size,
        etag=version_etag(result.sha256_hex, object_id),
        sha256=result.sha256_hex,
        crc32c=None if result.crc32c is None else to_wire(result.crc32c),
        created_at=now,
    )
    fields = {name: getattr(part, name) for name in _PART_FIELDS}
    replaced: str | None = None
    if old is None:
        conn.execute(_INSERT_PART, {"upload_id": upload_id, "part_number": part_number, **fields})
    else:
        replaced = old[0] or None  # a provider part has no object of ours
        conn.execute(_UPDATE_PART, {**key, **{f"p_{k}": v for k, v in fields.items()}})
        if replaced is not None:
            mark_objects(s, [replaced], "dead")
    if object_id:  # a part's object has no ``pending`` mark unless an older code path left one
        forget_ledger(s, [object_id])
    return part, replaced, declared_sha is not None or part.sha256 is not None


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
    *,
    size: int | None = None,
) -> UploadPart:
    """Store part ``part_number`` (replacing any earlier one) from ``chunks`` (``size``: its
    declared length, if any); returns it. An upload on the provider's own multipart sends
    the part straight to the provider (verified before its last bytes leave)."""

    def check() -> tuple[Bucket, Upload]:
        b = writable_bucket(state, p, bucket)  # usually kept from the upload's other requests
        with state.db.session() as s:
            return b, live_upload(s, b.id, upload_id)

    granted = WRITABLE.get(p, bucket)
    if granted is None or LIVE.get(upload_id, granted.id, utcnow()) is None:
        b, upload = await run_in_threadpool(check)
        if upload.provider_upload is not None:
            return await _put_native_part(state, b, upload, part_number, chunks, expected, size)
        LIVE.put(upload_id, LiveUpload(b.id, upload.expires_at))
        granted = b
    # Else the upload was live a moment ago (:mod:`.live`): no hop; the commit checks again.
    bucket_id = granted.id
    oid, result = await write_object(state, chunks, expected)
    try:
        part, replaced, wants_sha = await commit_part(
            state, bucket_id, upload_id, part_number, oid, result
        )
    except BaseException as exc:
        if commit_failed(exc):  # else the part may still be recorded: it stays
            await discard_objects(state, [oid])
        raise
    if wants_sha:  # the client works with SHA-256: hash the upload as its parts come
        state.rolling.part_stored(upload_id, part_number, oid)
    if replaced is not None:
        await discard_objects(state, [replaced])
    return part


async def _put_native_part(
    state: AppState,
    b: Bucket,
    upload: Upload,
    part_number: int,
    chunks: AsyncIterator[bytes],
    expected: Expected,
    size: int | None,
) -> UploadPart:
    native = backend_for(state, b).native_multipart()
    if native is None or upload.provider_upload is None:
        raise Conflict("provider_error", "this upload's bucket no longer takes provider parts")
    handle = upload.provider_upload
    stored = await native.put_part(upload.key, handle, part_number, chunks, expected, size)
    result = WriteResult(stored.size, None, stored.sha256_hex, stored.crc32c)
    try:
        part, _, _ = await commit_part(
            state, b.id, upload.id, part_number, "", result, provider_part=stored.token
        )
    except DomainError:
        # Aborted or expired while the part was sent: the provider part (a GCS object, a
        # folder's part file) was stored after the abort's clean-up, so abort again.
        if await run_in_threadpool(_gone_for_good, state, upload.id):
            with contextlib.suppress(DomainError):
                await native.abort_upload(upload.key, handle)
        raise
    return part


def _gone_for_good(state: AppState, upload_id: str) -> bool:
    """Whether the upload no longer exists or has expired, and no completion holds it."""
    with state.db.session() as s:
        upload = s.get(Upload, upload_id)
        return upload is None or (upload.completing is None and upload.expires_at <= utcnow())
