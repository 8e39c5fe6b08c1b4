"""Deleting objects of the managed store and forgetting their ledger marks (idempotent)."""

from __future__ import annotations

import logging

from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ...groupcommit import run_grouped
from ...models import ObjectLedger
from ...state import AppState

log = logging.getLogger("bucketry_server.maintenance")
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
        if state.db.engine.dialect.name == "sqlite":  # joins the next group commit
            await run_grouped(state.db, lambda s: _forget_in(s, gone))
        else:
            await run_in_threadpool(_forget, state, gone)


def _forget(state: AppState, object_ids: list[str]) -> None:
    with state.db.session() as s:
        _forget_in(s, object_ids)


def _forget_in(s: Session, object_ids: list[str]) -> None:
    """Drop the ledger rows of ``object_ids`` in the transaction of ``s``."""
    for start in range(0, len(object_ids), LEDGER_KEYS_PER_QUERY):
        chunk = object_ids[start : start + LEDGER_KEYS_PER_QUERY]
        s.execute(delete(ObjectLedger).where(ObjectLedger.object_id.in_(chunk)))
