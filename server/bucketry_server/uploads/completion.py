"""Completing a multipart upload: validate the listed parts, *claim* the upload (its rows go
in one transaction, so a second completion finds nothing), compose the parts through the
bucket's backend and commit; on any failure put the upload back so the client can retry."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy import inspect as sa_inspect
from starlette.concurrency import run_in_threadpool

from ..accounts.principals import Principal
from ..backends.base import BlobRecord, WriteSpec
from ..backends.conditions import check_preconditions
from ..backends.managed.objects import discard_objects
from ..backends.registry import backend_for
from ..blobs.validation import OCTET_STREAM
from ..errors import Conflict, Invalid
from ..ids import new_id
from ..models import Blob, Bucket, ObjectLedger, Upload, UploadPart
from ..state import AppState
from ..storage.base import ChecksumMismatchError, Expected, ObjectMissingError
from ..timeutil import utcnow
from .service import drop_upload, lock_upload, parts_of, writable_bucket

_Row = TypeVar("_Row", Upload, UploadPart)


def _norm_etag(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


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
        upload = lock_upload(s, bucket_id, upload_id, now)
        parts = parts_of(s, upload_id)
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
        drop_upload(s, upload_id, parts, "pending")
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


async def complete_upload(
    state: AppState, p: Principal, bucket: str, upload_id: str, parts: Sequence[tuple[int, str]]
) -> BlobRecord:
    """Compose the listed ``(part number, ETag)`` parts into the blob and commit it through
    the bucket's backend. On failure the upload is put back, so the client can retry."""
    p.require_user()
    new_oid = new_id("obj")

    def claim() -> tuple[Bucket, _Claim]:
        b = writable_bucket(state, p, bucket)
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
