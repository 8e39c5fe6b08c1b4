"""Deleting objects of the managed store and forgetting their ledger marks (idempotent), now
(:func:`discard_objects`) or soon, without making a request wait (:func:`discard_later`)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam
from sqlalchemy.orm import Session

from ...groupcommit import run_write
from ...models import ObjectLedger
from ...state import AppState

log = logging.getLogger("bucketry_server.maintenance")
LEDGER_KEYS_PER_QUERY = 500  # bound the IN list (SQLite has a variable limit)
#: Objects one round of :func:`discard_later` deletes at most.
LATER_BATCH = 2000
#: The ledger table, and the statement dropping rows of it (compiled once).
LEDGER = cast(Table, ObjectLedger.__table__)
_FORGET = LEDGER.delete().where(LEDGER.c.object_id.in_(bindparam("ids", expanding=True)))


def commit_failed(exc: BaseException) -> bool:
    """Whether ``exc``, raised while awaiting a commit, means the commit did not happen.

    An ``Exception`` comes from the commit itself, which rolled back: the objects it would
    have recorded may be deleted. Anything else (``CancelledError``: the request's task was
    cancelled, e.g. while the server shuts down) leaves the outcome unknown: the commit runs
    on in its worker thread or in the shared group (:mod:`...groupcommit`) and may still
    land, so its objects must stay. One it did not record is then unreferenced, and the
    start-up sweep deletes it (``maintenance``)."""
    return isinstance(exc, Exception)


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
        await run_write(state.db, lambda s: forget_ledger(s, gone))  # SQLite: grouped


def forget_ledger(s: Session, object_ids: list[str]) -> None:
    """Drop the ledger rows of ``object_ids`` (any state) in the transaction of ``s``."""
    conn = s.connection()
    for start in range(0, len(object_ids), LEDGER_KEYS_PER_QUERY):
        conn.execute(_FORGET, {"ids": object_ids[start : start + LEDGER_KEYS_PER_QUERY]})


@dataclass
class _Later:
    """The objects queued by :func:`discard_later` in one event loop for one server state."""

    state: AppState
    ids: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


_LATER: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _Later]] = (
    weakref.WeakKeyDictionary()
)


def discard_later(state: AppState, object_ids: list[str]) -> None:
    """Queue objects for :func:`discard_objects` in a task of this event loop and return at
    once: a request whose transaction committed their ``dead`` marks answers without waiting
    for the deletion. Objects queued meanwhile by other requests go in the same round (one
    thread hop and one ledger transaction for all). Only for objects whose ``dead`` mark is
    committed: if the process stops first, the janitor or the start-up sweep deletes them.
    Must be called on the event loop; never raises for a failed deletion (it is logged)."""
    if not object_ids:
        return
    loop = asyncio.get_running_loop()
    by_state = _LATER.setdefault(loop, {})
    later = by_state.get(id(state))
    if later is None or later.state is not state:
        later = by_state[id(state)] = _Later(state)
    later.ids.extend(object_ids)
    if later.task is None or later.task.done():  # done: cancelled before it ever ran
        later.task = loop.create_task(_drain_later(later))


async def settle_discards(state: AppState) -> None:
    """Wait until what :func:`discard_later` queued on this event loop for ``state`` is
    deleted (or left to the janitor); at shutdown, so nothing is left half done."""
    later = _LATER.get(asyncio.get_running_loop(), {}).get(id(state))
    while later is not None and later.state is state:
        task = later.task
        if task is None or task.done():
            return
        await asyncio.wait([task])  # neither raises nor cancels what the task did


async def _drain_later(later: _Later) -> None:
    """Discard what :func:`discard_later` queued, in rounds, until nothing is left."""
    try:
        while later.ids:
            batch = later.ids[:LATER_BATCH]
            del later.ids[:LATER_BATCH]
            try:
                await discard_objects(later.state, batch)
            except Exception:
                log.warning("could not discard %d objects; left to the janitor", len(batch))
    finally:
        later.task = None
