"""Multipart uploads (the protocol, callable without a request; completion is in
:mod:`.completion`): initiate → put parts (any order, in parallel, re-sendable) → list parts
(resume) → complete (atomic) → abort. Abandoned uploads expire (``maintenance.expire_uploads``).

Parts are received and recorded in :mod:`.parts`. Every part is an object of its own, written with the managed-blob protocol (``pending`` ledger
mark, bytes, then one transaction that records the part row and drops the mark). Completion
composes the listed part objects into a new object and commits it as the blob.

Imported buckets map uploads onto the provider's own multipart (``NativeMultipart`` of the
backend) unless the upload declares the whole blob's ``sha256`` (checked while the store's parts
are composed, as before): create opens the provider upload and keeps its handle on the row
(``provider_upload``), each part streams straight to the provider and only its token is kept
(``provider_part``; ``object_id`` is "": no store object), abort and expiry abort the provider
upload. The rows, the locking and the completion claim below are the same for both kinds.

Concurrency. Each transaction that changes an upload starts with a no-op ``UPDATE`` of the
upload row: on PostgreSQL it takes the row lock, on SQLite (whose driver opens the write
transaction at the first DML statement) it takes the database write lock, so the reads that
follow see the latest committed state and no other writer interleaves. A completion whose
compose may read every byte or write at a provider first *claims* the upload by marking it
``completing`` (from then on every other request sees no upload: 404); the compose runs outside
any transaction. The rows stay, so a crash loses no acknowledged part: the start-up sweep clears
the mark and ``complete`` can be retried. The blob commit deletes the upload in the same
transaction; if the compose or the commit fails, the mark is cleared so the client can fix and
retry. A managed bucket's completion that only links the parts takes no claim: its commit checks
that the upload and the parts it composed are unchanged (:mod:`.completion`).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import anyio.from_thread
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_write
from ..accounts.bucket_cache import WRITABLE
from ..accounts.principals import Principal
from ..backends.conditions import check_preconditions
from ..backends.managed.catalogue import mark_objects
from ..backends.managed.objects import discard_objects
from ..backends.registry import backend_for
from ..blobs.validation import OCTET_STREAM, check_attributes, parse_expected
from ..errors import DomainError, Invalid, not_found
from ..ids import new_id
from ..keys import check_key, check_prefix
from ..models import Blob, Bucket, Upload, UploadPart
from ..pagination import keyset_page
from ..state import AppState
from ..timeutil import iso, utcnow
from .live import LIVE, LiveUpload

#: Large parts a spooling store's budget should hold at once (``preferred_max_part_size``).
SPOOLED_PARTS_PER_BUDGET = 16
#: The largest part the server takes, like S3 (5 GiB); :mod:`.parts` enforces it.
MAX_PART_SIZE = 5 * 1024**3

log = logging.getLogger("bucketry_server.uploads")


def part_json(p: UploadPart) -> dict[str, Any]:
    """A part as the API's ``UploadPart``."""
    return {
        "part_number": p.part_number,
        "size": p.size,
        "etag": p.etag,
        "sha256": p.sha256,
        "crc32c": p.crc32c,
        "created_at": iso(p.created_at),
    }


@dataclass(frozen=True)
class PartRules:
    """What the parts of an upload must and should be: the smallest part (but the last) it
    takes, and whether each part is held whole (in the process's spool) before it is stored
    rather than stored as its bytes arrive."""

    min_part: int
    held: bool


def part_rules(state: AppState, b: Bucket | None) -> PartRules:
    """The rules of an upload on bucket ``b``'s provider's own multipart upload: the server's
    minimum raised to the provider's, parts held whole where the provider needs a part's size
    and checksum up front (S3: a part sent without its CRC32C) or is not known. ``None``: an
    upload whose parts come to this server's store (the server's minimum; held whole by an
    S3 store, ``holds_writes``). Blocking (may open the provider client)."""
    minimum = state.settings.min_part_size
    if b is None:
        return PartRules(minimum, state.store.holds_writes)
    native = backend_for(state, b).native_multipart()
    if native is None:
        return PartRules(minimum, True)
    return PartRules(max(minimum, native.part_minimum()), native.holds_parts())


def preferred_max_part(state: AppState, rules: PartRules) -> int:
    """The largest part that suits an upload of ``rules`` (the ``Upload``'s
    ``preferred_max_part_size``): :data:`MAX_PART_SIZE` where its parts are stored as their
    bytes arrive; where a part is held whole first, a sixteenth of the process's spool
    budget, so that a few concurrent uploads of large parts do not fill it (at least the
    smallest part, at most :data:`MAX_PART_SIZE`)."""
    if not rules.held:
        return MAX_PART_SIZE
    share = state.settings.spool_max_bytes // SPOOLED_PARTS_PER_BUDGET
    return min(MAX_PART_SIZE, max(rules.min_part, share))


def upload_json(
    state: AppState, u: Upload, parts: list[UploadPart], rules: PartRules | None = None
) -> dict[str, Any]:
    """An upload with its parts as the API's ``Upload`` (``rules``: those of its provider's
    own multipart upload, see :func:`part_rules`; default: those of this server's store)."""
    rules = rules or part_rules(state, None)
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
        "min_part_size": rules.min_part,
        "max_parts": state.settings.max_parts,
        "preferred_max_part_size": preferred_max_part(state, rules),
    }


def parts_of(s: Session, upload_id: str) -> list[UploadPart]:
    """The parts received for an upload, by part number."""
    return list(
        s.scalars(
            select(UploadPart)
            .where(UploadPart.upload_id == upload_id)
            .order_by(UploadPart.part_number)
        ).all()
    )


def lock_upload(s: Session, bucket_id: str, upload_id: str, now: datetime) -> Upload:
    """Take the write lock on a live upload of this bucket (first statement of a transaction).
    Raises ``NotFound`` if there is none (expired, aborted, or claimed by a completion)."""
    result = cast(
        "CursorResult[Any]",
        s.execute(
            update(Upload)
            .where(
                Upload.id == upload_id,
                Upload.bucket_id == bucket_id,
                Upload.expires_at > now,
                Upload.completing.is_(None),
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


def live_upload(s: Session, bucket_id: str, upload_id: str) -> Upload:
    """The upload ``upload_id`` of this bucket if it is live (not expired, aborted or claimed
    by a completion), read without a lock; else ``NotFound``."""
    upload = s.get(Upload, upload_id)
    if (
        upload is None
        or upload.bucket_id != bucket_id
        or upload.expires_at <= utcnow()
        or upload.completing is not None
    ):
        raise not_found("upload")
    return upload


def writable_bucket(state: AppState, p: Principal, ref: str) -> Bucket:
    """Bucket ``ref`` if the caller may write to it (blocking): the write authorization a
    single PUT keeps for a couple of seconds (:mod:`..accounts.bucket_cache`, managed buckets
    only) if there is one, else looked up (and kept). ``NotFound``, ``Unauthenticated``,
    ``Forbidden``. A bucket deleted meanwhile still fails the transaction that writes."""
    granted = WRITABLE.get(p, ref)
    if granted is not None:
        return granted
    with state.db.session() as s:
        granted = bucket_for_write(s, p, ref)
    WRITABLE.put(p, ref, granted)
    return granted


def stored_objects(parts: list[UploadPart]) -> list[str]:
    """The objects of the server's store that hold ``parts`` (a part stored at the provider
    has none)."""
    return [part.object_id for part in parts if part.object_id]


def drop_upload(s: Session, upload_id: str, parts: list[UploadPart]) -> None:
    """Delete an upload's rows, marking its part objects ``dead`` in the ledger."""
    mark_objects(s, stored_objects(parts), "dead")
    s.execute(delete(UploadPart).where(UploadPart.upload_id == upload_id))
    s.execute(delete(Upload).where(Upload.id == upload_id))


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
        stmt = select(Upload).where(
            Upload.bucket_id == b.id, Upload.expires_at > utcnow(), Upload.completing.is_(None)
        )
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
        native = part_rules(state, b) if any(u.provider_upload for u in rows) else None
        by_upload: dict[str, list[UploadPart]] = {u.id: [] for u in rows}
        if rows:
            for part in s.scalars(
                select(UploadPart).where(UploadPart.upload_id.in_(list(by_upload)))
            ).all():
                by_upload[part.upload_id].append(part)
        return {
            "results": [
                upload_json(state, u, by_upload[u.id], native if u.provider_upload else None)
                for u in rows
            ],
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
    """Start a multipart upload of ``key`` (``Upload``). ``content_type`` and ``metadata`` are
    checked as a single PUT checks them (``Invalid``), now and again at completion;
    ``if_none_match`` too. Blocking: call from a worker thread."""
    p.require_user()
    check_key(key)
    content_type, metadata = check_attributes(content_type, metadata)
    sha256_hex = parse_expected(None, sha256, sha256_name="sha256").sha256_hex if sha256 else None
    if size is not None and size > state.settings.max_blob_bytes:
        raise Invalid(
            "too_large",
            f"size exceeds the largest blob ({state.settings.max_blob_bytes} bytes)",
        )
    if_none_match = if_none_match.strip() if if_none_match else None
    # A declared whole-blob SHA-256 is checked while the store's parts are composed; else an
    # imported bucket's parts go straight to the provider's own multipart upload.
    handle = rules = None
    if sha256_hex is None:
        b = writable_bucket(state, p, bucket)
        handle = _start_native(state, b, key, content_type, metadata)
        rules = part_rules(state, b) if handle is not None else None
    try:
        upload = _insert_upload(
            state, p, bucket, key, content_type, metadata, size, sha256_hex, if_none_match, handle
        )
        if handle is None:  # its parts come to this server's store: they may skip their check
            LIVE.put(upload.id, LiveUpload(upload.bucket_id, upload.expires_at))
        return upload_json(state, upload, [], rules)
    except BaseException:
        if handle is not None:
            _abort_native(state, p, bucket, key, handle)
        raise


def _start_native(
    state: AppState, b: Bucket, key: str, content_type: str | None, metadata: dict[str, str]
) -> str | None:
    native = backend_for(state, b).native_multipart()
    if native is None:
        return None
    return anyio.from_thread.run(
        native.start_upload, key, content_type or OCTET_STREAM, dict(metadata)
    )


def _abort_native(state: AppState, p: Principal, bucket: str, key: str, handle: str) -> None:
    native = backend_for(state, writable_bucket(state, p, bucket)).native_multipart()
    if native is not None:
        with contextlib.suppress(DomainError):
            anyio.from_thread.run(native.abort_upload, key, handle)


def _insert_upload(
    state: AppState,
    p: Principal,
    bucket: str,
    key: str,
    content_type: str | None,
    metadata: dict[str, str],
    size: int | None,
    sha256_hex: str | None,
    if_none_match: str | None,
    handle: str | None,
) -> Upload:
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
            provider_upload=handle,
        )
        s.add(upload)
        s.flush()
        return upload


def get_upload(state: AppState, p: Principal, bucket: str, upload_id: str) -> dict[str, Any]:
    """A live upload with its parts (``Upload``); blocking."""
    p.require_user()
    with state.db.session() as s:
        b = bucket_for_write(s, p, bucket)
        upload = live_upload(s, b.id, upload_id)
        rules = part_rules(state, b) if upload.provider_upload else None
        return upload_json(state, upload, parts_of(s, upload.id), rules)


async def abort_upload(state: AppState, p: Principal, bucket: str, upload_id: str) -> None:
    """Drop an upload and its parts' data; ``NotFound`` if it is not live."""
    p.require_user()

    def abort() -> tuple[Bucket, Upload, list[str]]:
        b = writable_bucket(state, p, bucket)
        with state.db.session() as s:
            upload = lock_upload(s, b.id, upload_id, utcnow())
            parts = parts_of(s, upload_id)
            drop_upload(s, upload_id, parts)
            return b, upload, stored_objects(parts)

    LIVE.forget(upload_id)
    b, upload, freed = await run_in_threadpool(abort)
    state.rolling.forget(upload_id)
    await discard_objects(state, freed)
    if upload.provider_upload is not None:
        await abort_provider_uploads(state, [(b.id, upload.key, upload.provider_upload)])


async def abort_provider_uploads(state: AppState, uploads: list[tuple[str, str, str]]) -> None:
    """Abort ``(bucket id, key, provider handle)`` uploads at their providers, best effort
    (the rows are gone already; a provider that fails keeps its parts until its own expiry)."""
    for bucket_id, key, handle in uploads:
        try:
            b = await run_in_threadpool(_bucket_row, state, bucket_id)
            native = None if b is None else backend_for(state, b).native_multipart()
            if native is not None:
                await native.abort_upload(key, handle)
        except DomainError as exc:
            log.warning("provider upload of %r not aborted: %s", key, exc.detail)


def _bucket_row(state: AppState, bucket_id: str) -> Bucket | None:
    with state.db.session() as s:
        return s.get(Bucket, bucket_id)
