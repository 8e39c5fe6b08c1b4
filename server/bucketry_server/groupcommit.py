"""Group commit: the small write transactions of one process's concurrent requests, run in one
database transaction.

On SQLite one writer holds the database at a time (:mod:`.writegate` queues them). Under a
load of small PUTs each transaction is short but the handoffs are not: every writer takes the
gate, runs five statements in a worker thread that competes for the GIL and a CPU with the
event loop and every other thread, and commits. :func:`run_grouped` queues a request's
transaction instead; one worker thread of the process runs every job queued meanwhile, one
after another, in a single transaction with a single commit, then answers them all. Nothing
is answered before that commit returns, so a request that got its answer is as durable as
with a transaction of its own (WAL: the commit is in the log when ``COMMIT`` returns).

A job is a function of a ``Session`` that may raise a :class:`~.errors.DomainError` (a
refusal: bucket gone, precondition failed) only after undoing whatever it wrote, so the other
jobs of its group are unaffected. Any other exception aborts the group's transaction; every
job of the group is then run again in a transaction of its own, so each gets its own outcome
(exactly as without grouping), unless the database stayed busy (the write gate's timeout,
SQLite's "database is locked"): then every job gets that error at once, instead of waiting
as long again one after another. One group per process is in flight at a time: while it
runs, the next one gathers.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from .db import Database, database_locked
from .errors import DomainError, Unavailable

T = TypeVar("T")
Job = Callable[[Session], Any]

#: Jobs in one group at most (bounds the transaction's length and its memory).
MAX_GROUP = 64


@dataclass
class _Queued:
    job: Job
    future: asyncio.Future[Any]


@dataclass
class _Committer:
    """The jobs queued in one event loop for one database, and whether a group is running."""

    db: Database
    pending: list[_Queued] = field(default_factory=list)
    running: bool = False


_TASKS: set[asyncio.Task[None]] = set()  # strong references to the running groups
_COMMITTERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _Committer]] = (
    weakref.WeakKeyDictionary()
)


async def run_grouped(db: Database, job: Callable[[Session], T]) -> T:
    """Run ``job`` in a transaction shared with the other jobs queued meanwhile in this
    process; returns its result once that transaction committed, or raises what it raised
    (a ``DomainError`` it raised, or any error of its own transaction)."""
    loop = asyncio.get_running_loop()
    by_db = _COMMITTERS.setdefault(loop, {})
    committer = by_db.get(id(db))
    if committer is None or committer.db is not db:
        committer = by_db[id(db)] = _Committer(db)
    future: asyncio.Future[T] = loop.create_future()
    committer.pending.append(_Queued(job, future))
    if not committer.running:
        committer.running = True
        _TASKS.add(task := loop.create_task(_drain(committer)))
        task.add_done_callback(_TASKS.discard)
    # A cancelled request does not cancel the group: the job still commits (or not) with it.
    return await asyncio.shield(future)


async def _drain(committer: _Committer) -> None:
    """Run groups until nothing is queued; every future gets its outcome."""
    try:
        while committer.pending:
            group = committer.pending[:MAX_GROUP]
            del committer.pending[:MAX_GROUP]
            try:
                outcomes = await run_in_threadpool(run_group, committer.db, [q.job for q in group])
            except BaseException:  # cancelled (the loop is shutting down): as a lone commit
                for queued in group + committer.pending:
                    queued.future.cancel()
                committer.pending.clear()
                raise
            for queued, outcome in zip(group, outcomes, strict=True):
                if queued.future.done():
                    continue
                if isinstance(outcome, BaseException):
                    queued.future.set_exception(outcome)
                else:
                    queued.future.set_result(outcome)
    finally:
        committer.running = False


def run_group(db: Database, jobs: list[Job]) -> list[Any]:
    """Run ``jobs`` in one transaction (see the module): each one's result or exception.
    Blocking; called in a worker thread."""
    if len(jobs) > 1:
        outcomes: list[Any] = []
        try:
            with db.session() as s:
                for job in jobs:
                    try:
                        outcomes.append(job(s))
                    except Unavailable as busy:  # the write gate stayed shut: for every job
                        return [*outcomes, *[busy] * (len(jobs) - len(outcomes))]
                    except DomainError as refusal:  # undone by the job itself
                        outcomes.append(refusal)
            return outcomes
        except Exception as exc:
            if database_locked(exc):  # alone, each job would wait as long again
                return [exc] * len(jobs)
    return [_alone(db, job) for job in jobs]


async def run_write(db: Database, job: Callable[[Session], T]) -> T:
    """Run ``job`` in a write transaction and return its result (or raise what it raised):
    on SQLite grouped with this process's concurrent ones (:func:`run_grouped`, so ``job``
    must refuse before writing); elsewhere in a transaction of its own in a worker thread
    (PostgreSQL runs writers in parallel)."""
    if db.engine.dialect.name == "sqlite":
        return await run_grouped(db, job)
    return await run_in_threadpool(run_alone, db, job)


def run_alone(db: Database, job: Callable[[Session], T]) -> T:
    """Run ``job`` in a transaction of its own (blocking); its result, or what it raised."""
    with db.session() as s:
        return job(s)


def _alone(db: Database, job: Job) -> Any:
    """Run one job in a transaction of its own: its result or its exception."""
    try:
        with db.session() as s:
            return job(s)
    except Exception as exc:
        return exc
