"""The operation engine: async workers in the server process that claim planners and chunks
under leases (:mod:`.leases`), run the kinds' code (:mod:`.kinds`) and record the outcome.

Each claimed unit runs with a heartbeat task beside it that renews the lease and persists the
progress every ``operation_heartbeat_seconds``; the heartbeat also notices a cancel or an end
decided elsewhere, and the kind sees it at its next ``ctx.check()`` (a kind that does not
reach one within a heartbeat, e.g. reading a stalled source, is cancelled). A worker that dies
renews nothing: its lease expires and any worker (of any instance) re-runs the chunk from its
checkpoint, up to ``operation_max_attempts`` runs, after which the sweep fails the operation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import traceback
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool

from ..accounts.principals import Principal, principal_by_token_id
from ..db import database_locked
from ..errors import DomainError, Unauthenticated, Unavailable
from ..problems import status_of
from ..state import AppState
from . import (
    builtin,  # noqa: F401  (registers the kinds)
    queue,
)
from .context import OperationCancelled
from .kinds import ChunkRange, get_kind
from .leases import Claim, LeaseConfig, claim_chunk, claim_planner
from .wakeup import Address, LeaderWake

log = logging.getLogger("bucketry_server.operations")
#: Seconds before a unit refused for a busy database or spool budget is given back to run
#: again (the ``Retry-After`` a request would get).
BUSY_RETRY_SECONDS = 5.0

#: A test hook awaited at every ``ctx.check()`` (throttles a kind without sleeping long).
CheckHook = Callable[[str], Awaitable[None]]


class RunningContext:
    """The :class:`~.context.OpContext` of one claimed planner or chunk."""

    def __init__(self, state: AppState, claim: Claim, hook: CheckHook | None) -> None:
        self.state = state
        self.operation_id = claim.operation_id
        self.params: dict[str, object] = dict(claim.params)
        self.attempt = claim.attempt
        self.claim = claim
        self.live = queue.Live(
            items=claim.saved_items,
            bytes=claim.saved_bytes,
            items_total=claim.items_total,
            bytes_total=claim.bytes_total,
            checkpoint=claim.checkpoint,
            counts=dict(claim.counts or {}),
            saved_items=claim.saved_items,
            saved_bytes=claim.saved_bytes,
        )
        self.pending: dict[str, int] = {}
        self.stopped: str | None = None  # queue.STOP or queue.LOST once the heartbeat says so
        self._hook = hook

    def principal(self) -> Principal:
        """The owner through the token that started the operation, as it stands now;
        ``Unauthenticated`` (``token_revoked``) if that token was deleted or expired."""
        token_id = self.claim.token_id
        with self.state.db.session() as s:
            found = principal_by_token_id(s, token_id) if token_id else None
        if found is None or found.user_id != self.claim.owner_id:
            raise Unauthenticated(
                "token_revoked",
                "the token that started this operation was deleted or has expired",
            )
        return found

    def set_totals(self, *, items: int | None = None, bytes_total: int | None = None) -> None:
        """Record this chunk's totals (``None`` leaves one unknown)."""
        if items is not None:
            self.live.items_total = items
        if bytes_total is not None:
            self.live.bytes_total = bytes_total

    def add_progress(self, *, items: int = 0, bytes_done: int = 0) -> None:
        """Count finished items and moved bytes (persisted by the heartbeat)."""
        self.live.items += items
        self.live.bytes += bytes_done

    def count(self, **counts: int) -> None:
        """Add to the result counters (persisted with the next checkpoint or at the end)."""
        for name, n in counts.items():
            self.pending[name] = self.pending.get(name, 0) + n

    def set_result(self, result: dict[str, object]) -> None:
        """The operation's result as the kind computed it (persisted when the chunk ends)."""
        self.live.result = dict(result)

    def checkpoint(self, after: str) -> None:
        """Everything up to ``after`` is done: a re-run resumes after it."""
        self._commit_counts()
        self.live.checkpoint = after
        self.live.saved_items, self.live.saved_bytes = self.live.items, self.live.bytes

    def _commit_counts(self) -> None:
        for name, n in self.pending.items():
            self.live.counts[name] = self.live.counts.get(name, 0) + n
        self.pending.clear()

    async def check(self) -> None:
        """Raise :class:`OperationCancelled` once the heartbeat saw a cancel, an end decided
        elsewhere or the loss of the lease."""
        if self._hook is not None:
            await self._hook(self.operation_id)
        if self.stopped is not None:
            raise OperationCancelled(self.stopped)
        await asyncio.sleep(0)


class Engine:
    """``workers`` async workers (settings ``operation_workers``) plus a sweeper, started by
    :meth:`start` at app start-up and stopped by :meth:`stop` at shutdown (running chunks are
    given back, checkpoint kept, for the next start or another instance).

    ``leads`` (default: always) says whether this process may run them (on SQLite, the
    leader of ``serve --workers``); ``wake_address`` is the data folder's wake-up socket
    (:mod:`.wakeup`): the running engine listens on it, the others' :meth:`wake` send to it."""

    def __init__(
        self,
        state: AppState,
        *,
        workers: int | None = None,
        leads: Callable[[], bool] | None = None,
        wake_address: Address | None = None,
    ) -> None:
        settings = state.settings
        self.state = state
        self.workers = settings.operation_workers if workers is None else workers
        self.cfg = LeaseConfig(
            settings.operation_lease_seconds,
            settings.operation_max_attempts,
            settings.operation_owner_concurrency,
        )
        self.heartbeat = settings.operation_heartbeat_seconds
        self.poll = settings.operation_poll_seconds
        self.worker_id = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.check_hook: CheckHook | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._leads = leads
        self._wakeup = LeaderWake(wake_address)
        self._wake = self._wakeup.event
        #: The event loop the engine was started on (tests run extra work there).
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Start the workers and the sweeper (none when ``workers`` is 0); while ``leads``
        says no, only a stand-by task that asks again every poll and starts them once this
        process leads (the leader exited)."""
        self.loop = asyncio.get_running_loop()
        if self.workers <= 0:
            return
        if self._leads is None or self._leads():
            self._start_workers()
        else:
            self._tasks.append(asyncio.create_task(self._standby()))

    def _start_workers(self) -> None:
        assert self.loop is not None
        self._wakeup.listen(self.loop)  # other processes' wake() reach this one from now on
        for n in range(self.workers):
            # Idle workers poll in turn (worker n every (n+1) polls): new local work wakes all.
            idle = self.poll * (n + 1)
            self._tasks.append(asyncio.create_task(self._work(f"{self.worker_id}-{n}", idle)))
        self._tasks.append(asyncio.create_task(self._sweep()))

    async def _standby(self) -> None:
        assert self._leads is not None
        while True:
            await asyncio.sleep(self.poll)
            try:
                leads = self._leads()
            except OSError:  # the lock file cannot be opened now: ask again later
                log.exception("operation engine: leadership check failed")
                continue
            if leads:
                log.info("operation workers: process %d takes over", os.getpid())
                self._start_workers()
                return

    async def stop(self) -> None:
        """Stop every task; the units they held go back to PENDING."""
        self._wakeup.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def wake(self) -> None:
        """Tell idle workers there is new work (an operation was just created here): this
        process's workers if they run, else the leading process's (through its wake-up socket,
        :mod:`.wakeup`; never blocks, never raises)."""
        self._wakeup.wake()

    async def _work(self, worker: str, idle: float) -> None:
        while True:
            # Cleared before looking, never after: a wake() while the claim runs (an operation
            # created just after the claim's query found nothing) must end the idle wait below,
            # else the new operation waits for the next poll (up to ``idle`` seconds).
            self._wake.clear()
            try:
                found = await self.run_once(worker)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not kill the worker
                log.exception("operation worker %s: claim failed", worker)
                found = False
            if found:
                self._wake.set()  # there may be more: let another idle worker look too
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle)

    async def _sweep(self) -> None:
        while True:
            try:
                if await run_in_threadpool(queue.sweep, self.state.db, self.cfg):
                    self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("operation sweep failed")
            # Exhausted leases are found within a quarter of a lease after they expire.
            await asyncio.sleep(min(max(self.cfg.lease_seconds / 4, 0.2), 10.0))

    async def run_once(self, worker: str | None = None) -> bool:
        """Claim one planner or chunk and run it to its end; False if there was no work.
        ``worker`` names the lease holder (default: a new name per call, so concurrent calls
        never share a lease)."""
        worker = worker or f"{self.worker_id}-{secrets.token_hex(3)}"
        db = self.state.db
        claim = await run_in_threadpool(claim_planner, db, worker, self.cfg)
        if claim is None:
            claim = await run_in_threadpool(claim_chunk, db, worker, self.cfg)
        if claim is None:
            return False
        await self.run_claim(worker, claim)
        return True

    async def run_claim(self, worker: str, claim: Claim) -> None:
        """Run a claimed unit with its heartbeat and record how it ended."""
        ctx = RunningContext(self.state, claim, self.check_hook)
        beat = asyncio.create_task(self._beat(worker, ctx))
        try:
            await self._run(worker, ctx)
        except asyncio.CancelledError:
            release = run_in_threadpool(queue.release, self.state.db, worker, claim, ctx.live)
            await asyncio.shield(release)
            raise
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _beat(self, worker: str, ctx: RunningContext) -> None:
        db, claim = self.state.db, ctx.claim
        while ctx.stopped is None:
            await asyncio.sleep(self.heartbeat)
            try:
                if claim.idx is None:
                    outcome = await run_in_threadpool(
                        queue.beat_planner, db, worker, claim.operation_id, self.cfg
                    )
                else:
                    outcome = await run_in_threadpool(
                        queue.beat_chunk, db, worker, claim, ctx.live, self.cfg
                    )
            except asyncio.CancelledError:
                raise
            except Exception:  # keep trying: the lease outlives a few missed beats
                log.exception("operation %s: heartbeat failed", claim.operation_id)
                continue
            if outcome != queue.OK:
                ctx.stopped = outcome

    async def _run(self, worker: str, ctx: RunningContext) -> None:
        db, claim = self.state.db, ctx.claim
        try:
            kind = get_kind(claim.kind)
            if claim.idx is None:
                await self._plan(worker, ctx)
            else:
                rng = ChunkRange(
                    claim.range_after,
                    claim.range_last,
                    claim.items_total,
                    claim.bytes_total,
                    resume_after=claim.checkpoint,
                )
                await self._stoppable(ctx, kind.run_chunk(ctx, rng))
                ctx._commit_counts()
                if not await run_in_threadpool(queue.complete_chunk, db, worker, claim, ctx.live):
                    return
            await run_in_threadpool(queue.try_succeed, db, claim.operation_id, kind.result)
        except OperationCancelled:
            if ctx.stopped == queue.STOP or ctx.stopped is None:
                await run_in_threadpool(queue.end_if_cancelled, db, claim.operation_id)
        except Unavailable as exc:  # the write gate or the spool budget stayed busy a while
            await self._retry_later(worker, ctx, exc.detail or exc.code)
        except DomainError as exc:
            error = (status_of(exc), exc.code, exc.detail or exc.code)
            await run_in_threadpool(queue.end, db, claim.operation_id, "FAILED", error)
        except Exception as exc:
            if database_locked(exc):  # SQLite's lock held past its busy timeout: the same
                await self._retry_later(worker, ctx, "the database is locked")
                return
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("operation %s failed: %s\n%s", claim.operation_id, type(exc).__name__, frames)
            name = type(exc).__name__
            error = (500, "internal_error", f"the operation failed unexpectedly ({name})")
            await run_in_threadpool(queue.end, db, claim.operation_id, "FAILED", error)

    async def _retry_later(self, worker: str, ctx: RunningContext, why: str) -> None:
        """Give a unit refused for a busy shared resource (a request would get 503 ``busy``)
        back after :data:`BUSY_RETRY_SECONDS`: PENDING again from its checkpoint, the attempt
        not counted (as at a clean shutdown), so a worker runs it again; the operation does
        not fail for a wait that a retry outlasts."""
        claim = ctx.claim
        log.warning(
            "operation %s: %s; retried in %s s", claim.operation_id, why, BUSY_RETRY_SECONDS
        )
        await asyncio.sleep(BUSY_RETRY_SECONDS)  # the lease is kept (heartbeats) meanwhile
        await run_in_threadpool(queue.release, self.state.db, worker, claim, ctx.live)

    async def _stoppable(self, ctx: RunningContext, work: Awaitable[None]) -> None:
        """Await a kind's ``work``; once the heartbeat has stopped the unit (a cancel, an end
        decided elsewhere, a lost lease) and the kind has not noticed within one heartbeat
        (it waits on a source that stalls and never reaches ``ctx.check()``), cancel it, wait
        for its clean-up (a half-written blob is discarded) and raise
        :class:`OperationCancelled`."""
        task = asyncio.ensure_future(work)
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=self.heartbeat)
                if ctx.stopped is not None and not task.done():
                    await asyncio.wait({task}, timeout=self.heartbeat)
                    if not task.done():
                        task.cancel()
                        await asyncio.wait({task})
                        raise OperationCancelled(ctx.stopped)
        except asyncio.CancelledError:  # this worker is cancelled (shutdown): so is the work
            task.cancel()
            await asyncio.wait({task})
            raise
        task.result()

    async def _plan(self, worker: str, ctx: RunningContext) -> None:
        db, claim = self.state.db, ctx.claim
        kind = get_kind(claim.kind)
        if kind.plan is not None:
            async for rng in kind.plan(ctx, claim.checkpoint):
                await ctx.check()
                if not await run_in_threadpool(queue.add_chunk, db, worker, claim, rng):
                    raise OperationCancelled(queue.LOST)
                if rng.last is None:
                    break
        else:
            whole = ChunkRange()
            if not await run_in_threadpool(queue.add_chunk, db, worker, claim, whole):
                raise OperationCancelled(queue.LOST)
        await run_in_threadpool(queue.finish_planning, db, worker, claim.operation_id)
