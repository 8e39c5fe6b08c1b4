"""Completing a multipart upload.

A managed bucket's upload whose blob needs no SHA-256 (the common case: CRC32C combined from
the parts') is completed in one write transaction: the listed parts are checked in a read, the
store composes them (hard links on the local store: no byte is read), and the blob's commit
checks in its own transaction that the upload is still live with the same parts before
deleting it (``also`` hook of ``catalogue.commit_blobs``). A racing completion, abort, expiry
or part replacement makes it fail as if it came second (404, 400 ``invalid_part``), and what it
composed is deleted; a crash before the commit leaves the upload intact and an object nothing
references (the start-up sweep deletes it).

Otherwise (a SHA-256 to compute, an imported bucket) the completion first *claims* the upload
(marks it ``completing`` in one transaction, so every other request, a second completion too,
finds no upload) because composing may read every byte or write at the provider; then it
composes and commits, the commit deleting the upload. On any failure the mark is cleared so
the client can retry; a crash leaves the rows, and the start-up sweep clears the mark
(``maintenance.sweep_at_start``). An imported bucket's upload on the provider's own multipart
is assembled by the provider (S3 CompleteMultipartUpload, Azure block list, GCS compose, a
folder's concatenation) instead of composed from the server's store. On SQLite the claim and
the commit join the process's group commit (:mod:`..groupcommit`). ``faults.crash_point``
names the moments durability tests crash the server at."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..accounts.principals import Principal
from ..backends.base import BlobRecord, BucketBackend, WriteSpec
from ..backends.conditions import check_preconditions
from ..backends.managed.catalogue import mark_objects
from ..backends.managed.objects import commit_failed, discard_later, discard_objects
from ..backends.registry import backend_for
from ..blobs.validation import OCTET_STREAM, check_attributes
from ..crc32c import combine_all, from_wire, to_wire
from ..errors import Conflict, DomainError, Invalid, not_found
from ..faults import crash_point
from ..groupcommit import run_write
from ..ids import new_id
from ..models import Blob, Bucket, ObjectLedger, Upload, UploadPart
from ..state import AppState
from ..storage.base import ChecksumMismatchError, Expected, ObjectMissingError
from ..timeutil import utcnow
from .live import LIVE
from .service import (
    live_upload,
    lock_upload,
    part_rules,
    parts_of,
    stored_objects,
    writable_bucket,
)


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
    _check_list(state, listed)

    return await run_write(
        state.db, lambda s: _claim_in(s, state, bucket_id, upload_id, listed, new_oid, native_min)
    )


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
    upload = lock_upload(s, bucket_id, upload_id, utcnow())
    parts, chosen = _checked_parts(s, state, upload, listed, native_min)
    # Claim: the rows stay (a crash must not lose acknowledged parts) but are hidden from
    # every other request; the composed object is marked pending until the commit.
    upload.completing = new_oid
    s.add(ObjectLedger(object_id=new_oid, state="pending", created_at=utcnow()))
    s.flush()  # the next job of a group commit sees the claim
    return _Claim(upload, parts, chosen, new_oid)


def _read_for_completion(
    state: AppState,
    bucket_id: str,
    upload_id: str,
    listed: Sequence[tuple[int, str]],
    new_oid: str,
    native_min: int,
) -> _Claim:
    """The checks of :func:`_claim_for_completion` on the live upload as it is now, without
    claiming it (a read; the commit checks again that nothing changed). Blocking."""
    _check_list(state, listed)
    with state.db.session() as s:
        upload = live_upload(s, bucket_id, upload_id)
        try:
            parts, chosen = _checked_parts(s, state, upload, listed, native_min)
        except Invalid:
            # The parts were read after the upload, not in the same snapshot: a completion
            # (or an abort) committed in between took them with it. NotFound then, as for a
            # request that came after it (a new session: this one's identity map holds the
            # upload as it was).
            with state.db.session() as again:
                live_upload(again, bucket_id, upload_id)
            raise
        return _Claim(upload, parts, chosen, new_oid)


def _check_list(state: AppState, listed: Sequence[tuple[int, str]]) -> None:
    """Refuse a part list out of order, with duplicates or too long (``Invalid``)."""
    numbers = [number for number, _ in listed]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise Invalid(
            "invalid_part_order", "parts must be listed once each, by ascending part number"
        )
    if len(listed) > state.settings.max_parts:
        raise Invalid("too_many_parts", f"at most {state.settings.max_parts} parts")


def _checked_parts(
    s: Session,
    state: AppState,
    upload: Upload,
    listed: Sequence[tuple[int, str]],
    native_min: int,
) -> tuple[list[UploadPart], list[UploadPart]]:
    """Every part of ``upload`` and the listed ones, in order, once the list is checked
    against them: ETags, sizes, the declared size, the largest blob and ``If-None-Match``.
    Raises ``Invalid`` or ``PreconditionFailed``; writes nothing."""
    settings = state.settings
    check_attributes(upload.content_type, upload.meta)  # uploads stored before the rule
    parts = parts_of(s, upload.id)
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
            select(Blob.etag).where(Blob.bucket_id == upload.bucket_id, Blob.key == upload.key)
        )
        check_preconditions(existing, None, upload.if_none_match)
    return parts, chosen


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


def _finish_unclaimed(read: _Claim, s: Session) -> None:
    """Inside the blob's commit transaction, for a completion that composed without a claim:
    lock the upload, check that the listed parts are still the ones composed, then delete it
    and mark every part object ``dead`` (``read.parts`` becomes those parts). Raises
    ``NotFound`` (aborted, expired or completed meanwhile) or ``Invalid`` (a listed part was
    replaced meanwhile) before writing anything."""
    upload = lock_upload(s, read.upload.bucket_id, read.upload.id, utcnow())
    now_parts = parts_of(s, upload.id)
    _check_unchanged(read, now_parts)
    s.execute(delete(UploadPart).where(UploadPart.upload_id == upload.id))
    s.execute(delete(Upload).where(Upload.id == upload.id))
    mark_objects(s, stored_objects(now_parts), "dead")
    read.parts = now_parts


def _check_unchanged(read: _Claim, now_parts: list[UploadPart]) -> None:
    """``Invalid`` (``invalid_part``) if a part ``read`` chose is no longer the same object."""
    objects = {part.part_number: part.object_id for part in now_parts}
    for part in read.chosen:
        if objects.get(part.part_number) != part.object_id:
            raise Invalid("invalid_part", f"part {part.part_number} was replaced while completing")


def _unclaimed_failure(state: AppState, read: _Claim, exc: ObjectMissingError) -> DomainError:
    """Why a part's object went missing while composing without a claim: the upload was
    aborted, expired or completed (``NotFound``), a listed part was replaced (``Invalid``), or
    else the store lost it (``Conflict`` ``part_missing``). Blocking."""
    with state.db.session() as s:
        try:
            upload = live_upload(s, read.upload.bucket_id, read.upload.id)
            _check_unchanged(read, parts_of(s, upload.id))
        except DomainError as refusal:
            return refusal
    return Conflict("part_missing", f"a part's data is missing: {exc}")


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
    LIVE.forget(upload_id)  # its parts check the row again from now on
    new_oid = new_id("obj")

    def prepare() -> tuple[Bucket, BucketBackend, int, _Claim | None]:
        b = writable_bucket(state, p, bucket)
        backend = backend_for(state, b)
        native_min = part_rules(state, b).min_part
        if backend.imported:
            return b, backend, native_min, None
        # The store's parts, composed by the server: checked now, in the same thread hop.
        read = _read_for_completion(state, b.id, upload_id, parts, new_oid, native_min)
        return b, backend, native_min, read

    b, backend, native_min, read = await run_in_threadpool(prepare)
    if read is not None:
        spec, use_rolling = _completion_spec(read.upload, read.chosen, crc32c)
        if read.upload.provider_upload is None and not (use_rolling or spec.expected.sha256):
            crash_point("complete.claimed")  # durability tests: checked, nothing written
            return await _compose_unclaimed(state, backend, read, spec)
    c = await _claim_for_completion(state, b.id, upload_id, parts, new_oid, native_min)
    crash_point("complete.claimed")
    return await _compose_claimed(state, backend, c, crc32c)


async def _compose_claimed(
    state: AppState, backend: BucketBackend, c: _Claim, crc32c: int | None
) -> BlobRecord:
    """Complete a claimed upload: the provider assembles an upload on its own multipart,
    else the store's parts are composed (their SHA-256 mostly computed as they arrived) and
    committed, the commit deleting the claimed upload. On failure the claim is released (or,
    if the upload vanished with its bucket, its parts deleted). Raises what
    :func:`complete_upload` raises."""
    u = c.upload
    try:
        spec, use_rolling = _completion_spec(u, c.chosen, crc32c)
        chosen_ids = [part.object_id for part in c.chosen]
        try:
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
                digest = None
                if use_rolling:  # mostly hashed while the parts arrived; the rest is read now
                    digest = await state.rolling.finish(u.id, chosen_ids)
                else:
                    state.rolling.forget(u.id)
                blob = await backend.compose(
                    u.key,
                    chosen_ids,
                    digest,
                    spec,
                    object_id=c.new_oid,
                    also=lambda s: _finish_claim(c, s),
                )
        except ChecksumMismatchError as exc:
            raise Invalid("checksum_mismatch", f"the assembled blob does not match: {exc}") from exc
        except ObjectMissingError as exc:
            raise Conflict("part_missing", f"a part's data is missing: {exc}") from exc
    except BaseException as exc:
        if commit_failed(exc):  # cancelled: the commit may land; the start-up sweep clears
            await discard_objects(state, [c.new_oid])  # idempotent; clears the pending mark
            if not await run_in_threadpool(_release, state, c):
                await discard_objects(state, stored_objects(c.parts))
        raise
    crash_point("complete.committed")
    # The commit marked the parts dead: they go soon, the client need not wait for it.
    discard_later(state, stored_objects(c.parts))
    return blob


async def _compose_unclaimed(
    state: AppState, backend: BucketBackend, read: _Claim, spec: WriteSpec
) -> BlobRecord:
    """Complete without a claim: compose the parts checked by ``read`` (hard links on the
    local store: the parts' bytes are not read) and commit, the commit's transaction checking
    that the upload is still live with the same parts (:func:`_finish_unclaimed`). One write
    transaction instead of two: a racing completion, abort, expiry or part replacement makes
    this one fail as if it had come second (404, or 400 ``invalid_part``), and nothing it
    composed is kept. A crash before the commit leaves an object nothing references, which
    the start-up sweep deletes; the upload is intact. Raises what :func:`complete_upload`
    raises."""
    u = read.upload
    state.rolling.forget(u.id)
    try:
        try:
            blob = await backend.compose(
                u.key,
                [part.object_id for part in read.chosen],
                None,
                spec,
                object_id=read.new_oid,
                also=lambda s: _finish_unclaimed(read, s),
            )
        except ChecksumMismatchError as exc:
            raise Invalid("checksum_mismatch", f"the assembled blob does not match: {exc}") from exc
        except ObjectMissingError as exc:
            raise await run_in_threadpool(_unclaimed_failure, state, read, exc) from exc
    except BaseException as exc:
        if commit_failed(exc):  # cancelled: the commit may land; else the sweep deletes it
            await discard_objects(state, [read.new_oid])
        raise
    crash_point("complete.committed")
    discard_later(state, stored_objects(read.parts))
    return blob
