"""A forced delete of a managed bucket (``DELETE /buckets/{b}?force=true``): hidden at once,
purged in the background.

**Hiding** (:func:`hide_bucket`, in the request) is one short transaction whatever the number
of blobs: the bucket row gets ``deleted_at``, its name becomes its id (bucket names cannot hold
``_``, so the name is free at once for a new bucket that sees none of the old blobs), it stops
being public, and its project connections are deleted (as the foreign key's cascade did). From
that commit on no request reaches it: ``{bucket}`` resolution, listings, account usage and
signed URLs skip hidden buckets, and a blob commit that resolved it earlier is refused (the
commit's bucket lock matches live buckets only). The answer reports the bucket's counters.

**Purging** (:func:`purge_deleted`, in the process that runs background work: the janitor's
leader, woken by the delete, through the data folder's ``purge.wake`` socket when another
``--workers`` process made it (``maintenance.PurgeWake``), and polling every 10 s as the
fallback) takes
:data:`DROP_BATCH` blobs per short transaction in a worker thread: the bucket row is claimed
(on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so two processes never purge the same bucket at
once; the second moves on), the blob rows deleted, their objects marked ``dead`` in the ledger;
after the commit their files are deleted (one batch's files while the next batch's rows go).
The transaction that finds no blob left deletes the bucket's uploads (their parts' objects
marked dead) and the bucket row. A process stopped mid-purge leaves a hidden bucket with fewer
blobs and ``dead`` marks: the start-up sweep deletes the marked files and the purge resumes at
the next start or poll. So 100,000 blobs take 100 transactions after the answer, none holding
the write lock for long, and the event loop runs other requests between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..accounts.bucket_cache import forget_all
from ..backends.managed.catalogue import drop_blob_rows, mark_objects
from ..backends.managed.objects import discard_objects
from ..errors import not_found
from ..faults import crash_point
from ..models import Blob, Bucket, Connection, Upload, UploadPart
from ..state import AppState
from ..timeutil import utcnow

log = logging.getLogger("bucketry_server.buckets")

#: Blobs deleted per purge transaction.
DROP_BATCH = 1000
#: Test-only crash point (:mod:`..faults`): after a purge batch committed, before its files go.
CRASH_AFTER_BATCH = "bucket_purge_batch"


def hide_bucket(state: AppState, bucket_id: str) -> tuple[int, int]:
    """Hide a managed bucket from every request in one transaction (see the module) and
    return its blob count and bytes as its counters hold them. Raises ``NotFound`` if the
    bucket is gone or already hidden (a concurrent delete won). Blocking: call it from a
    worker thread."""
    now = utcnow()
    with state.db.session() as s:
        hidden = s.execute(
            update(Bucket)
            .where(Bucket.id == bucket_id, Bucket.deleted_at.is_(None))
            .values(
                deleted_at=now,
                name=Bucket.id,
                public=False,
                version=Bucket.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(hidden, "rowcount", 0):
            raise not_found("bucket")
        blobs, size = s.execute(
            select(Bucket.object_count, Bucket.bytes_used).where(Bucket.id == bucket_id)
        ).one()
        s.execute(delete(Connection).where(Connection.bucket_id == bucket_id))
    forget_all()  # read and write grants: a Core update, the flush hook did not see it
    return max(int(blobs or 0), 0), max(int(size or 0), 0)


def deleted_buckets(state: AppState) -> list[str]:
    """Ids of the hidden buckets still to purge, oldest delete first. Blocking."""
    with state.db.session() as s:
        return list(
            s.scalars(
                select(Bucket.id)
                .where(Bucket.deleted_at.is_not(None))
                .order_by(Bucket.deleted_at, Bucket.id)
            )
        )


def drop_uploads(s: Session, bucket_id: str) -> list[str]:
    """Delete every upload of the bucket with its parts in the transaction of ``s``, their
    objects marked dead; returns those objects, for deletion after the commit.

    The uploads are locked before their parts are read: a part commit holding one (it locks
    its upload first) ends before the read, which then sees its part; one coming after finds
    its upload gone (404, its object discarded). Read first, a part committed meanwhile
    (PostgreSQL) went with its upload's cascade, its file referenced and marked by nothing."""
    s.execute(
        update(Upload)
        .where(Upload.bucket_id == bucket_id)
        .values(expires_at=Upload.expires_at)
        .execution_options(synchronize_session=False)
    )
    parts = [
        oid
        for oid in s.scalars(
            select(UploadPart.object_id)
            .join(Upload, Upload.id == UploadPart.upload_id)
            .where(Upload.bucket_id == bucket_id)
        ).all()
        if oid  # "": stored at a provider
    ]
    mark_objects(s, parts, "dead")
    uploads = select(Upload.id).where(Upload.bucket_id == bucket_id)
    s.execute(delete(UploadPart).where(UploadPart.upload_id.in_(uploads)))
    s.execute(delete(Upload).where(Upload.bucket_id == bucket_id))
    return parts


def _claim(s: Session, bucket_id: str) -> bool:
    """Lock the hidden bucket's row for this transaction; False if it is gone or another
    process holds it (PostgreSQL: ``SKIP LOCKED``; SQLite has one writer at a time)."""
    claimed = Bucket.__table__.alias("claimed")
    held = (
        select(claimed.c.id)
        .where(claimed.c.id == bucket_id, claimed.c.deleted_at.is_not(None))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = s.execute(
        update(Bucket)
        .where(Bucket.id == held)
        .values(version=Bucket.version)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _purge_batch(state: AppState, bucket_id: str, limit: int) -> tuple[list[str], bool] | None:
    """One purge transaction: up to ``limit`` blob rows of the hidden bucket deleted and their
    objects marked dead, or, when none is left, its uploads and its row. Returns the objects
    whose files may go after the commit and whether the bucket is gone; None if it was not
    claimed (gone, or purged by another process right now)."""
    with state.db.session() as s:
        if not _claim(s, bucket_id):
            return None
        rows = s.execute(
            select(Blob.id, Blob.object_id, Blob.size)
            .where(Blob.bucket_id == bucket_id)
            .order_by(Blob.key)  # the (bucket_id, key) index: each batch reads only its rows
            .limit(limit)
        ).all()
        if rows:
            return drop_blob_rows(s, bucket_id, rows), False
        parts = drop_uploads(s, bucket_id)
        s.execute(
            delete(Bucket)
            .where(Bucket.id == bucket_id)
            .execution_options(synchronize_session=False)
        )
        return parts, True


async def purge_bucket(
    state: AppState, bucket_id: str, *, batch: int | None = None
) -> tuple[int, bool]:
    """Purge one hidden bucket, ``batch`` (default :data:`DROP_BATCH`) blobs per transaction,
    each batch's files deleted while the next batch's rows go; returns the blobs purged and
    whether the bucket is gone. Stops early (the rest is left for a later call) if another
    process holds the bucket. Raises what the database raises; the batches committed stay
    done."""
    per = batch or DROP_BATCH
    purged = 0
    files: asyncio.Future[None] | None = None
    try:
        while True:
            got = await run_in_threadpool(_purge_batch, state, bucket_id, per)
            if got is None:
                return purged, False
            objects, gone = got
            crash_point(CRASH_AFTER_BATCH)
            if files is not None:
                await files  # at most one batch of files in flight
            files = asyncio.ensure_future(discard_objects(state, objects))
            if gone:
                return purged, True
            purged += len(objects)
    finally:
        if files is not None:
            with contextlib.suppress(Exception):  # discard_objects logs its failures
                await files


async def purge_deleted(state: AppState, *, batch: int | None = None) -> int:
    """Purge every hidden bucket (:func:`purge_bucket`); returns the blobs purged. Call it
    from the process that runs background work only (see :mod:`..maintenance`)."""
    purged = 0
    for bucket_id in await run_in_threadpool(deleted_buckets, state):
        n, gone = await purge_bucket(state, bucket_id, batch=batch)
        purged += n
        if gone:
            log.info("purged deleted bucket %s (%d blobs)", bucket_id, n)
    return purged
