"""Deleting the blobs of a managed bucket that is being deleted (``DELETE /buckets/{b}?force``).

Each batch of :data:`DROP_BATCH` blobs is one short transaction in a worker thread: the bucket
row locked first (as every blob commit does), the blob rows deleted, their objects marked
``dead`` in the ledger and the bucket's counters lowered. The objects' files go after the
commit, in the background (``discard_later``: the request does not wait for thousands of
unlinks); a crash before they go leaves ``dead`` marks that the janitor and the start-up sweep
act on. So a bucket of 100,000 blobs takes 100 transactions, none holding the write lock for
long, and the event loop runs other requests between them.

Before, each batch of 500 keys took four transactions (list keys, find ids, delete, forget the
ledger marks) plus the unlinks the request waited for: 2,500 small blobs took 0.5-3.5 s.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from starlette.concurrency import run_in_threadpool

from ..backends.managed.catalogue import mark_objects
from ..backends.managed.objects import discard_later
from ..models import Blob, Bucket
from ..state import AppState

#: Blobs deleted per transaction.
DROP_BATCH = 1000
#: Ids per ``IN`` list (SQLite has a variable limit).
_IDS_PER_QUERY = 500


def _drop_batch(state: AppState, bucket_id: str, limit: int) -> tuple[list[str], int]:
    """Delete up to ``limit`` blob rows of the bucket in one transaction, marking their
    objects dead; their object ids and total size."""
    with state.db.session() as s:
        s.execute(update(Bucket).where(Bucket.id == bucket_id).values(version=Bucket.version))
        rows = s.execute(
            select(Blob.id, Blob.object_id, Blob.size)
            .where(Blob.bucket_id == bucket_id)
            .order_by(Blob.key)  # the (bucket_id, key) index: each batch reads only its rows
            .limit(limit)
        ).all()
        if not rows:
            return [], 0
        ids = [row.id for row in rows]
        for start in range(0, len(ids), _IDS_PER_QUERY):
            s.execute(delete(Blob).where(Blob.id.in_(ids[start : start + _IDS_PER_QUERY])))
        objects = [row.object_id for row in rows]
        mark_objects(s, objects, "dead")
        size = sum(row.size for row in rows)
        s.execute(
            update(Bucket)
            .where(Bucket.id == bucket_id)
            .values(
                bytes_used=Bucket.bytes_used - size,
                object_count=Bucket.object_count - len(rows),
            )
        )
        return objects, size


async def drop_managed_blobs(
    state: AppState, bucket_id: str, *, batch: int | None = None
) -> tuple[int, int]:
    """Delete every blob of a managed bucket, ``batch`` (default :data:`DROP_BATCH`) per
    transaction, queueing their objects' files for deletion after each commit; returns the
    number of blobs and bytes deleted. Blobs committed meanwhile are deleted too (until a
    batch finds none); raises what the database raises (the batches committed stay done)."""
    per = batch or DROP_BATCH
    blobs, freed = 0, 0
    while True:
        objects, size = await run_in_threadpool(_drop_batch, state, bucket_id, per)
        if not objects:
            return blobs, freed
        discard_later(state, objects)
        blobs += len(objects)
        freed += size
