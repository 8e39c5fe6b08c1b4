"""Deleting objects of the managed store and forgetting their ledger marks (idempotent)."""

from __future__ import annotations

import logging

from sqlalchemy import delete
from starlette.concurrency import run_in_threadpool

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
        await run_in_threadpool(_forget, state, gone)


def _forget(state: AppState, object_ids: list[str]) -> None:
    with state.db.session() as s:
        for start in range(0, len(object_ids), LEDGER_KEYS_PER_QUERY):
            chunk = object_ids[start : start + LEDGER_KEYS_PER_QUERY]
            s.execute(delete(ObjectLedger).where(ObjectLedger.object_id.in_(chunk)))
