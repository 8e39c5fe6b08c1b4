"""Retention of finished operations: the janitor deletes operations that ended (SUCCEEDED,
FAILED or CANCELLED) more than ``BUCKETRY_OPERATION_RETENTION_DAYS`` ago, with their chunks.

An active operation (PENDING or RUNNING) is never deleted, however old: the guard is in the
``DELETE`` itself, so an operation that some other instance is ending or has just ended is
only deleted once it is both final and past the retention. Work is done in batches of
:data:`PURGE_BATCH` operations (one short transaction each), at most :data:`PURGE_BATCHES`
per call, so a janitor round stays bounded however many operations are due; the next round
continues. A purged operation is gone: ``GET /operations/{id}`` answers 404, and its
``Idempotency-Key`` is forgotten with it (the key lives on the operation's row), so a retry
with that key after the retention starts a new operation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..db import Database
from ..models import Operation, OperationChunk
from ..timeutil import utcnow
from .leases import FINAL

#: Operations deleted per transaction.
PURGE_BATCH = 500
#: Batches one call runs at most (the next janitor round goes on).
PURGE_BATCHES = 20


def retention_cutoff(days: int, now: datetime | None = None) -> datetime | None:
    """The end time before which a finished operation is purged, ``days`` after it ended
    (None for 0: keep forever)."""
    if days <= 0:
        return None
    return (now or utcnow()) - timedelta(days=days)


def purge_finished(
    db: Database, cutoff: datetime, batch: int = PURGE_BATCH, batches: int = PURGE_BATCHES
) -> int:
    """Delete operations that ended before ``cutoff``, and their chunks, ``batch`` per
    transaction and at most ``batches`` transactions. Returns how many operations were
    deleted. Blocking: call it from a worker thread. Never deletes an active operation."""
    deleted = 0
    for _ in range(batches):
        with db.session() as s:
            ids = list(
                s.scalars(
                    select(Operation.id)
                    .where(Operation.finished_at < cutoff, Operation.status.in_(FINAL))
                    .order_by(Operation.finished_at, Operation.id)
                    .limit(batch)
                ).all()
            )
            if not ids:
                return deleted
            s.execute(delete(OperationChunk).where(OperationChunk.operation_id.in_(ids)))
            done = s.execute(
                delete(Operation).where(
                    Operation.id.in_(ids),
                    Operation.status.in_(FINAL),
                    Operation.finished_at < cutoff,
                )
            )
            deleted += int(getattr(done, "rowcount", 0) or 0)
        if len(ids) < batch:
            break
    return deleted
