"""Completing a multipart upload: validate the listed parts, *claim* the upload (mark it
``completing`` in one transaction, so every other request, a second completion too, finds no
upload), compose the parts through the bucket's backend and commit; the commit's own
transaction deletes the upload (``also`` hook of ``catalogue.commit_blobs``). On any failure
the mark is cleared so the client can retry; a crash leaves the rows, and the start-up sweep
clears the mark (``maintenance.sweep_at_start``). An imported bucket's upload on the provider's
own multipart is assembled by the provider (S3 CompleteMultipartUpload, Azure block list, GCS
compose, a folder's concatenation) instead of composed from the server's store. ``faults.crash_point`` names the moments
durability tests crash the server at."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..accounts.principals import Principal
from ..backends.base import BlobRecord, WriteSpec
from ..backends.conditions import check_preconditions
from ..backends.managed.catalogue import mark_objects
from ..backends.managed.objects import discard_later, discard_objects
from ..backends.registry import backend_for
from ..blobs.validation import OCTET_STREAM, check_attributes
from ..crc32c import combine_all, from_wire, to_wire
from ..errors import Conflict, Invalid, not_found
from ..faults import crash_point
from ..groupcommit import run_grouped
from ..ids import new_id
from ..models import Blob, Bucket, ObjectLedger, Upload, UploadPart
from ..state import AppState
from ..storage.base import ChecksumMismatchError, Expected, ObjectMissingError
from ..timeutil import utcnow
from .service import lock_upload, part_minimum, parts_of, stored_objects, writable_bucket


def _norm_etag(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')


class _Claim:
    """An upload marked ``completing`` by one completion, and what it composes from."""

    def __init__(
        self, upload: Upload, parts: list[UploadPart], chosen: list[UploadPart], new_oid: str
    ) -> None:
        self.upload = upload
        self.parts = parts  # every part received
        self.chosen = chosen  # the listed ones, in order
        self.new_oid = new_oid  # the object being composed; the claim's mark


async def _claim_for_completion(
    state: AppState,
    bucket_id: str,
    upload_id: str,
    listed: Sequence[tuple[int, str]],
    new_oid: str,
    native_min: int = 0,
) -> _Claim:
    """Validate the part list and claim the upload for this completion (one transaction; on
    SQLite shared with the process's concurrent commits, :mod:`..groupcommit`). Raises
    ``Invalid`` (part list, stored attributes), ``NotFound``, ``PreconditionFailed``."""
    settings = state.settings
    numbers = [number for number, _ in listed]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise Invalid(
            "invalid_part_order", "parts must be listed once each, by ascending part number"
        )
    if len(listed) > settings.max_parts:
        raise Invalid("too_many_parts", f"at most {settings.max_parts} parts")

    def claim(s: Session) -> _Claim:
        return _claim_in(s, state, bucket_id, upload_id, listed, new_oid, native_min)

    if state.db.engine.dialect.name == "sqlite":
        return await run_grouped(state.db, claim)

    def alone() -> _Claim:
        with state.db.session() as s:
            return claim(s)

    return await run_in_threadpool(alone)


def _claim_in(
    s: Session,
    state: AppState,
    bucket_id: str,
    upload_id: str,
    listed: Sequence[tuple[int, str]],
    new_oid: str,
    native_min: int,
) -> _Claim:
    """:func:`_claim_for_completion`'s checks and claim in the transaction of ``s``: every
    refusal comes before the claim writes anything (a group commit requires it)."""
    settings = state.settings
    now = utcnow()
    upload = lock_upload(s, bucket_id, upload_id, now)
    check_attributes(upload.content_type, upload.meta)  # uploads stored before the rule
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
    minimum = settings.min_part_size
    if upload.provider_upload is not None:  # the provider's own limit, refused here
        minimum = max(minimum, native_min)
    for part in chosen[:-1]:
        if part.size < minimum:
            raise Invalid(
                "part_too_small",
                f"part {part.part_number} has {part.size} bytes; every part but the last "
                f"must have at least {minimum}",
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
    # Claim: the rows stay (a crash must not lose acknowledged parts) but are hidden from
    # every other request; the composed object is marked pending until the commit.
    upload.completing = new_oid
    s.add(ObjectLedger(object_id=new_oid, state="pending", created_at=now))
    s.flush()  # the next job of a group commit sees the claim
    return _Claim(upload, parts, chosen, new_oid)


def _finish_claim(claim: _Claim, s: Session) -> None:
    """Inside the blob's commit transaction: delete the claimed upload and mark its part objects
    ``dead``. Raises ``NotFound`` if the claim is gone (the bucket was deleted meanwhile)."""
    gone = cast(
        "CursorResult[Any]",
        s.execute(
            delete(Upload)
            .where(Upload.id == claim.upload.id, Upload.completing == claim.new_oid)
            .execution_options(synchronize_session=False)
        ),
    )
    if gone.rowcount != 1:
        raise not_found("upload")
    s.execute(delete(UploadPart).where(UploadPart.upload_id == claim.upload.id))
    mark_objects(s, stored_objects(claim.parts), "dead")


def _finish_native_claim(claim: _Claim, s: Session) -> None:
    """:func:`_finish_claim` for an upload on the provider's own multipart: the provider has
    assembled the blob, so the claim's ``pending`` mark names no object and goes too."""
    _finish_claim(claim, s)
    s.execute(delete(ObjectLedger).where(ObjectLedger.object_id == claim.new_oid))


def _release(state: AppState, claim: _Claim) -> bool:
    """Clear the claim after a failed completion, so the client can retry; False if the
    upload no longer exists (its bucket was deleted meanwhile)."""
    with state.db.session() as s:
        result = cast(
            "CursorResult[Any]",
            s.execute(
                update(Upload)
                .where(Upload.id == claim.upload.id, Upload.completing == claim.new_oid)
                .values(completing=None)
                .execution_options(synchronize_session=False)
            ),
        )
        return result.rowcount == 1


def combined_crc32c(chosen: Sequence[UploadPart], declared: int | None) -> int | None:
    """The blob's CRC32C combined from the chosen parts' stored CRCs (no byte is read), or
    None when a part has none (stored before revision 0006). Raises ``Invalid``
    (``checksum_mismatch``) when the client ``declared`` another full-object value."""
    if any(part.crc32c is None for part in chosen):
        return None
    crc = combine_all([(from_wire(cast(str, part.crc32c)), part.size) for part in chosen])
    if declared is not None and declared != crc:
        raise Invalid(
            "checksum_mismatch",
            f"X-Checksum-CRC32C {to_wire(declared)} does not match the parts' {to_wire(crc)}",
        )
    return crc


def _completion_spec(
    u: Upload, chosen: Sequence[UploadPart], declared: int | None
) -> tuple[WriteSpec, bool]:
    """The blob's write spec, and whether the background SHA-256 of the parts applies.

    A SHA-256 of the whole only when the client works with SHA-256 (declared one for the
    upload, or sent one with every part); otherwise no part is read again at all. A declared
    CRC the parts cannot give (one stored before revision 0006) is checked against the bytes:
    the compose then reads them all (never a silent skip). Raises ``Invalid``
    (``checksum_mismatch``)."""
    wants_sha = u.sha256 is not None or all(part.sha256 for part in chosen)
    combined = combined_crc32c(chosen, declared)
    read_all = combined is None and declared is not None
    spec = WriteSpec(
        u.content_type or OCTET_STREAM,
        dict(u.meta or {}),
        Expected(
            sha256_hex=u.sha256,
            crc32c=declared if read_all else combined,
            sha256=wants_sha or read_all,
        ),
        if_none_match=u.if_none_match,
    )
    return spec, wants_sha and not read_all


async def complete_upload(
    state: AppState,
    p: Principal,
    bucket: str,
    upload_id: str,
    parts: Sequence[tuple[int, str]],
    *,
    crc32c: int | None = None,
) -> BlobRecord:
    """Compose the listed ``(part number, ETag)`` parts into the blob and commit it through
    the bucket's backend; the commit deletes the upload in its own transaction. The blob's
    CRC32C is combined from the parts' (checked against ``crc32c``, the client's full-object
    value, before anything is composed). On failure the claim is cleared, so the client can
    retry. Raises ``Invalid``, ``Conflict`` (``part_missing``), ``NotFound``,
    ``PreconditionFailed``."""
    p.require_user()
    new_oid = new_id("obj")

    def bucket_and_minimum() -> tuple[Bucket, int]:
        b = writable_bucket(state, p, bucket)
        return b, part_minimum(state, b)

    b, native_min = await run_in_threadpool(bucket_and_minimum)
    c = await _claim_for_completion(state, b.id, upload_id, parts, new_oid, native_min)
    crash_point("complete.claimed")
    u = c.upload
    try:
        spec, use_rolling = _completion_spec(u, c.chosen, crc32c)
        chosen_ids = [part.object_id for part in c.chosen]
        try:
            backend = backend_for(state, b)
            native = backend.native_multipart() if u.provider_upload is not None else None
            if native is not None and u.provider_upload is not None:
                blob = await native.complete_upload(
                    u.key,
                    u.provider_upload,
                    [(p.part_number, p.size, p.provider_part or "") for p in c.chosen],
                    spec,
                    also=lambda s: _finish_native_claim(c, s),
                )
            else:
                # Mostly hashed already while the parts arrived; only the rest is read now.
                if use_rolling:
                    digest = await state.rolling.finish(upload_id, chosen_ids)
                else:
                    digest = None
                    state.rolling.forget(upload_id)
                blob = await backend.compose(
                    u.key,
                    chosen_ids,
                    digest,
                    spec,
                    object_id=new_oid,
                    also=lambda s: _finish_claim(c, s),
                )
        except ChecksumMismatchError as exc:
            raise Invalid("checksum_mismatch", f"the assembled blob does not match: {exc}") from exc
        except ObjectMissingError as exc:
            raise Conflict("part_missing", f"a part's data is missing: {exc}") from exc
    except BaseException:
        await discard_objects(state, [new_oid])  # idempotent; clears the pending mark
        if not await run_in_threadpool(_release, state, c):
            await discard_objects(state, stored_objects(c.parts))
        raise
    crash_point("complete.committed")
    # The commit marked the parts dead: they go soon, the client need not wait for it.
    discard_later(state, stored_objects(c.parts))
    return blob
