"""Housekeeping: start-up sweep of interrupted writes, and periodic expiry of abandoned uploads.

Write protocol for managed blobs (``blob_ops``): write the bytes under a new object id, then in
one transaction point the blob row at it while marking any replaced object ``dead``; delete dead
objects after commit. A crash at any point leaves at worst an object that no row references or
a ``dead`` ledger entry, never a visible partial blob; the start-up sweep removes both (and the
``pending`` marks that multipart completion uses while it composes, whose claimed uploads it
makes usable again). The sweep assumes no other
instance is writing to the same store while this one starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import delete, select, update
from starlette.concurrency import run_in_threadpool

from .models import Blob, ObjectLedger, Token, Upload, UploadPart
from .state import AppState
from .timeutil import utcnow

log = logging.getLogger("bucketry_server.maintenance")
PERIOD_SECONDS = 300
#: Deleted composites stay readable this long for downloads that had opened them.
TRASH_GRACE_SECONDS = 3600.0
LEDGER_KEYS_PER_QUERY = 500  # bound the IN list (SQLite has a variable limit)


async def discard_objects(state: AppState, object_ids: list[str], *, forget: bool = True) -> None:
    """Delete objects from the store, then (``forget``) drop their ledger rows; idempotent.
    Pass ``forget=False`` for objects no transaction ever recorded (a write that failed before
    its commit): there is no row to drop. What cannot be deleted stays for a later sweep."""
    if not object_ids:
        return
    try:
        gone = await state.store.delete_many(object_ids)
    except Exception:
        log.warning(
            "could not delete %d objects; left to the sweep", len(object_ids), exc_info=True
        )
        return
    if len(gone) < len(object_ids):
        log.warning("could not delete %d objects; left to the sweep", len(object_ids) - len(gone))
    if forget and gone:
        await run_in_threadpool(_forget, state, gone)


def _forget(state: AppState, object_ids: list[str]) -> None:
    with state.db.session() as s:
        for start in range(0, len(object_ids), LEDGER_KEYS_PER_QUERY):
            chunk = object_ids[start : start + LEDGER_KEYS_PER_QUERY]
            s.execute(delete(ObjectLedger).where(ObjectLedger.object_id.in_(chunk)))


async def sweep_at_start(state: AppState) -> None:
    removed_tmp = await state.store.sweep_temp()
    with state.db.session() as s:
        # Completions the crash interrupted never committed: their uploads (and parts) are
        # usable again; the objects they were composing are pending in the ledger, swept below.
        s.execute(update(Upload).where(Upload.completing.is_not(None)).values(completing=None))
        doomed = list(s.scalars(select(ObjectLedger.object_id)).all())
        s.execute(
            ObjectLedger.__table__.update().values(state="dead")  # type: ignore[attr-defined]
        )
    await discard_objects(state, doomed)
    # Objects referenced by nothing (written, never committed, ledger lost) are orphans too.
    with state.db.session() as s:
        referenced = set(s.scalars(select(Blob.object_id)).all())
        referenced |= set(s.scalars(select(UploadPart.object_id)).all())
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
    purge_expired_tokens(state)
    await state.store.sweep_trash()  # nobody is reading yet: everything deleted can go


async def expire_uploads(state: AppState) -> int:
    """Abort uploads past their expiry and reclaim their parts' space."""
    now = utcnow()
    with state.db.session() as s:
        expired = list(
            s.scalars(
                # Not one a completion is composing right now: its commit deletes it.
                select(Upload.id).where(Upload.expires_at <= now, Upload.completing.is_(None))
            ).all()
        )
        if not expired:
            return 0
        parts = list(
            s.scalars(select(UploadPart.object_id).where(UploadPart.upload_id.in_(expired))).all()
        )
        for oid in parts:
            s.merge(ObjectLedger(object_id=oid, state="dead", created_at=now))
        s.execute(delete(UploadPart).where(UploadPart.upload_id.in_(expired)))
        s.execute(delete(Upload).where(Upload.id.in_(expired)))
    await discard_objects(state, parts)
    for upload_id in expired:
        state.rolling.forget(upload_id)
    log.info("expired %d abandoned uploads (%d parts)", len(expired), len(parts))
    return len(expired)


def purge_expired_tokens(state: AppState) -> int:
    """Expired tokens can never authenticate again; drop them so the table stays small."""
    with state.db.session() as s:
        result = s.execute(delete(Token).where(Token.expires_at <= utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)


async def run_periodically(state: AppState) -> None:
    while True:
        await asyncio.sleep(PERIOD_SECONDS)
        with contextlib.suppress(Exception):
            await expire_uploads(state)
            purge_expired_tokens(state)
            await state.store.sweep_trash(TRASH_GRACE_SECONDS)
            with state.db.session() as s:
                stale = utcnow() - timedelta(hours=1)
                dead = list(
                    s.scalars(
                        select(ObjectLedger.object_id).where(
                            ObjectLedger.state == "dead", ObjectLedger.created_at <= stale
                        )
                    ).all()
                )
            await discard_objects(state, dead)
