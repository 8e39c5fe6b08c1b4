"""Housekeeping: start-up sweep of interrupted writes; periodic expiry of abandoned uploads
and purge of operations finished longer ago than the retention; the purge of deleted buckets.

Write protocol for managed blobs (``backends.managed.catalogue``): write the bytes under a new
object id, then in one transaction point the blob row at it while marking any replaced object
``dead``; delete dead objects after commit. A crash at any point leaves at worst an object that no row references or
a ``dead`` ledger entry, never a visible partial blob; the start-up sweep removes both (and the
``pending`` marks that multipart completion uses while it composes, whose claimed uploads it
makes usable again). The sweep assumes no other instance is writing to the same store while
this one starts: with ``serve --workers N`` the parent process sweeps once before it starts the
workers, and only the worker holding the data folder's leader lock runs the janitor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
from starlette.concurrency import run_in_threadpool

from .backends.managed.objects import discard_objects
from .buckets.deletion import purge_deleted
from .models import Blob, ObjectLedger, Token, Upload, UploadPart
from .operations.retention import purge_finished, retention_cutoff
from .operations.wakeup import PURGE_SOCKET_FILE, LeaderWake, wake_address
from .state import AppState
from .timeutil import utcnow
from .uploads.service import abort_provider_uploads

log = logging.getLogger("bucketry_server.maintenance")
PERIOD_SECONDS = 300
#: Seconds between two looks for deleted buckets to purge when nothing wakes the purger (a
#: wake-up lost, a leadership taken over).
PURGE_POLL_SECONDS = 10.0


class PurgeWake(LeaderWake):
    """``state.wake_purge``: wakes :func:`run_purger`, which purges in the leading process
    only, through the data folder's :data:`PURGE_SOCKET_FILE` (:mod:`.operations.wakeup`),
    on SQLite and PostgreSQL alike: a bucket deleted through another ``--workers`` process
    is purged at once, not at the next poll. Calling it is :meth:`wake`."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(wake_address(data_dir, PURGE_SOCKET_FILE))

    def __call__(self) -> None:
        self.wake()


async def sweep_at_start(state: AppState) -> None:
    """Remove what interrupted writes left behind (temp files, ledger entries, orphan objects),
    expire abandoned uploads and purge expired tokens. Database work runs in worker threads."""
    removed_tmp = await state.store.sweep_temp()
    doomed = await run_in_threadpool(_mark_ledger_dead, state)
    await discard_objects(state, doomed)
    # Objects referenced by nothing (written, never committed, ledger lost) are orphans too.
    referenced = await run_in_threadpool(_referenced_objects, state)
    orphans = [oid for oid in await state.store.list_ids() if oid not in referenced]
    await state.store.delete_many(orphans)
    if removed_tmp or doomed or orphans:
        log.info(
            "start-up sweep: %d temp, %d ledger, %d orphan objects removed",
            removed_tmp,
            len(doomed),
            len(orphans),
        )
    await expire_uploads(state)
    await run_in_threadpool(purge_expired_tokens, state)
    await state.store.sweep_trash()  # deleted composites no read holds (none should)


def _mark_ledger_dead(state: AppState) -> list[str]:
    with state.db.session() as s:
        # Completions the crash interrupted never committed: their uploads (and parts) are
        # usable again; the objects they were composing are pending in the ledger, swept next.
        s.execute(update(Upload).where(Upload.completing.is_not(None)).values(completing=None))
        doomed = list(s.scalars(select(ObjectLedger.object_id)).all())
        s.execute(
            ObjectLedger.__table__.update().values(state="dead")  # type: ignore[attr-defined]
        )
    return doomed


def _referenced_objects(state: AppState) -> set[str]:
    with state.db.session() as s:
        referenced = set(s.scalars(select(Blob.object_id)).all())
        referenced |= set(s.scalars(select(UploadPart.object_id)).all())
    return referenced


async def expire_uploads(state: AppState) -> int:
    """Abort uploads past their expiry and reclaim their parts' space; returns how many.
    The transaction runs in a worker thread."""
    expired, parts, native = await run_in_threadpool(_drop_expired_uploads, state)
    if not expired:
        return 0
    await discard_objects(state, parts)
    await abort_provider_uploads(state, native)
    for upload_id in expired:
        state.rolling.forget(upload_id)
    log.info("expired %d abandoned uploads (%d parts)", len(expired), len(parts))
    return len(expired)


def _drop_expired_uploads(
    state: AppState,
) -> tuple[list[str], list[str], list[tuple[str, str, str]]]:
    """Expired upload ids, their parts' store objects, and their provider uploads
    (``(bucket id, key, handle)``) to abort."""
    now = utcnow()
    with state.db.session() as s:
        rows = s.execute(
            # Not one a completion is composing right now: its commit deletes it.
            select(Upload.id, Upload.bucket_id, Upload.key, Upload.provider_upload).where(
                Upload.expires_at <= now, Upload.completing.is_(None)
            )
        ).all()
        expired = [row.id for row in rows]
        native = [(r.bucket_id, r.key, r.provider_upload) for r in rows if r.provider_upload]
        if not expired:
            return [], [], []
        parts = [
            oid
            for oid in s.scalars(
                select(UploadPart.object_id).where(UploadPart.upload_id.in_(expired))
            ).all()
            if oid  # a part stored at the provider has no object here
        ]
        for oid in parts:
            s.merge(ObjectLedger(object_id=oid, state="dead", created_at=now))
        s.execute(delete(UploadPart).where(UploadPart.upload_id.in_(expired)))
        s.execute(delete(Upload).where(Upload.id.in_(expired)))
    return expired, parts, native


def purge_expired_tokens(state: AppState) -> int:
    """Expired tokens can never authenticate again; drop them so the table stays small.
    Blocking: call it from a worker thread."""
    with state.db.session() as s:
        result = s.execute(delete(Token).where(Token.expires_at <= utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)


def purge_operations(state: AppState) -> int:
    """Delete operations (and their chunks) that ended more than
    ``settings.operation_retention_days`` ago, in bounded batches (0 days: keep them forever;
    see :mod:`.operations.retention`). Returns how many. Blocking: call it from a worker
    thread."""
    cutoff = retention_cutoff(state.settings.operation_retention_days)
    if cutoff is None:
        return 0
    purged = purge_finished(state.db, cutoff)
    if purged:
        log.info("purged %d operations finished before %s", purged, cutoff.isoformat())
    return purged


def _stale_dead_objects(state: AppState) -> list[str]:
    stale = utcnow() - timedelta(hours=1)
    with state.db.session() as s:
        return list(
            s.scalars(
                select(ObjectLedger.object_id).where(
                    ObjectLedger.state == "dead", ObjectLedger.created_at <= stale
                )
            ).all()
        )


async def run_once(state: AppState) -> None:
    """One janitor round: expire uploads, purge tokens and old finished operations, remove the
    deleted composites that reads held when they were deleted and no longer hold (no grace
    period: a store deletes a composite nobody reads at once), retry dead objects."""
    await expire_uploads(state)
    await run_in_threadpool(purge_expired_tokens, state)
    await run_in_threadpool(purge_operations, state)
    await state.store.sweep_trash()
    await discard_objects(state, await run_in_threadpool(_stale_dead_objects, state))


def leads(state: AppState) -> bool:
    """Whether this process runs the janitor: the only process, or the leader among the
    ``--workers`` serving one data folder (:mod:`.leader`; a follower takes over when the
    leader exits). Blocking only for a lock file open: cheap enough for the loop."""
    return state.leadership is None or state.leadership.try_acquire()


async def run_periodically(state: AppState) -> None:
    """The janitor: :func:`run_once` every :data:`PERIOD_SECONDS` until cancelled, in the
    leading worker process only (the others keep asking, to take over if it exits). A
    failing round is logged with its traceback and the next round runs as planned."""
    if leads(state):
        log.info("janitor: process %d leads", os.getpid())
    while True:
        period = PERIOD_SECONDS
        await asyncio.sleep(period)
        try:
            if leads(state):
                await run_once(state)
        except Exception:
            log.exception("janitor round failed; retrying in %s s", period)


async def run_purger(state: AppState, wake: PurgeWake) -> None:
    """Purge the buckets forced deletes hid (:func:`.buckets.deletion.purge_deleted`) until
    cancelled: at once at start (a purge a stop interrupted resumes), whenever ``wake`` is
    called (a delete in any process) and every :data:`PURGE_POLL_SECONDS`, in the leading
    process only (as the janitor), which listens for the others' wake-ups from its first
    round as leader. A failing round is logged and the next one retries."""
    while True:
        try:
            if leads(state):
                wake.listen(asyncio.get_running_loop())
                await purge_deleted(state)
        except Exception:
            log.exception("bucket purge failed; retrying in %s s", PURGE_POLL_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.event.wait(), PURGE_POLL_SECONDS)
        wake.event.clear()
