"""What a worker writes while it holds a lease: heartbeats, planned chunks, completion, release,
and the sweep that ends operations nobody can finish (attempts exhausted, cancelled while idle).

Every write is guarded by the lease (``lease_owner`` = the worker): a worker that lost its lease
writes nothing. Synchronous; run in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from ..db import Database
from ..models import Operation, OperationChunk
from ..timeutil import utcnow
from .kinds import ChunkRange
from .leases import ACTIVE, Claim, LeaseConfig, finalize, live_leases, lock_operation
from .leases import refresh_progress as _refresh

#: The outcome of a heartbeat: keep going, stop (cancelled or ended elsewhere), lease lost.
OK, STOP, LOST = "ok", "stop", "lost"


@dataclass
class Live:
    """A running chunk's progress in memory: live counters, and the state at its last
    checkpoint (what a re-run starts from)."""

    items: int = 0
    bytes: int = 0
    items_total: int | None = None
    bytes_total: int | None = None
    checkpoint: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    saved_items: int = 0
    saved_bytes: int = 0
    result: dict[str, Any] | None = None


def _chunk_guard(claim: Claim, worker: str) -> Any:
    return (
        OperationChunk.operation_id == claim.operation_id,
        OperationChunk.idx == claim.idx,
        OperationChunk.lease_owner == worker,
        OperationChunk.status == "RUNNING",
    )


def _values(live: Live) -> dict[str, Any]:
    return {
        "items_done": live.items,
        "bytes_done": live.bytes,
        "items_total": live.items_total,
        "bytes_total": live.bytes_total,
        "checkpoint": live.checkpoint,
        "counts": dict(live.counts),
        "saved_items": live.saved_items,
        "saved_bytes": live.saved_bytes,
        "result": live.result,
    }


def _op_state(db: Database, operation_id: str) -> str:
    with db.session() as s:
        row = s.execute(
            select(Operation.status, Operation.cancel_requested).where(Operation.id == operation_id)
        ).one_or_none()
    if row is None or row[0] not in ACTIVE or row[1]:
        return STOP
    return OK


def beat_chunk(db: Database, worker: str, claim: Claim, live: Live, cfg: LeaseConfig) -> str:
    """Renew the chunk's lease and persist its progress (and checkpoint); ``LOST`` if the
    lease is no longer ours, ``STOP`` if the operation was cancelled or has ended."""
    now = utcnow()
    with db.session() as s:
        renewed = s.execute(
            update(OperationChunk)
            .where(*_chunk_guard(claim, worker))
            .values(lease_expires_at=cfg.expiry(now), heartbeat_at=now, **_values(live))
            .execution_options(synchronize_session=False)
        )
        if renewed.rowcount != 1:  # type: ignore[attr-defined]
            return LOST
        _refresh(s, claim.operation_id, now)
    return _op_state(db, claim.operation_id)


def beat_planner(db: Database, worker: str, operation_id: str, cfg: LeaseConfig) -> str:
    """Renew the planner's lease on the operation (``LOST``/``STOP``/``OK`` as above)."""
    now = utcnow()
    with db.session() as s:
        renewed = s.execute(
            update(Operation)
            .where(Operation.id == operation_id, Operation.lease_owner == worker)
            .values(lease_expires_at=cfg.expiry(now), heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if renewed.rowcount != 1:  # type: ignore[attr-defined]
            return LOST
    return _op_state(db, operation_id)


def add_chunk(db: Database, worker: str, claim: Claim, rng: ChunkRange) -> bool:
    """Store one planned range as the operation's next chunk and move the planner's resume
    point past it, in one transaction (a range open at the end also marks the operation
    planned); False if the planner lost its lease (nothing stored)."""
    now = utcnow()
    with db.session() as s:
        moved = s.execute(
            update(Operation)
            .where(
                Operation.id == claim.operation_id,
                Operation.lease_owner == worker,
                Operation.status.in_(ACTIVE),
            )
            # An open-ended range is the last one: planning ends in the same transaction.
            .values(plan_after=rng.last, planned=rng.last is None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            s.rollback()
            return False
        idx = s.scalar(
            select(func.coalesce(func.max(OperationChunk.idx) + 1, 0)).where(
                OperationChunk.operation_id == claim.operation_id
            )
        )
        s.add(
            OperationChunk(
                operation_id=claim.operation_id,
                idx=idx,
                owner_id=claim.owner_id,
                range_after=rng.after,
                range_last=rng.last,
                status="PENDING",
                attempts=0,
                items_done=0,
                bytes_done=0,
                items_total=rng.items,
                bytes_total=rng.bytes,
                counts={},
                saved_items=0,
                saved_bytes=0,
            )
        )
    return True


def finish_planning(db: Database, worker: str, operation_id: str) -> bool:
    """Mark every chunk known and drop the planner's lease; False if the lease was lost."""
    now = utcnow()
    with db.session() as s:
        done = s.execute(
            update(Operation)
            .where(Operation.id == operation_id, Operation.lease_owner == worker)
            .values(planned=True, lease_owner=None, lease_expires_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        _refresh(s, operation_id, now)
    return True


def complete_chunk(db: Database, worker: str, claim: Claim, live: Live) -> bool:
    """Mark the chunk DONE with its final counters; False if the lease was lost meanwhile
    (the worker that took it over redoes the chunk idempotently)."""
    now = utcnow()
    with db.session() as s:
        done = s.execute(
            update(OperationChunk)
            .where(*_chunk_guard(claim, worker))
            .values(status="DONE", lease_owner=None, lease_expires_at=None, **_values(live))
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        _refresh(s, claim.operation_id, now)
    return True


Result = Callable[[Mapping[str, Any], Mapping[str, int], list[dict[str, Any]]], dict[str, Any]]


def try_succeed(db: Database, operation_id: str, result: Result) -> bool:
    """End the operation SUCCEEDED if it is planned and every chunk is DONE, with the result
    made from its chunks' summed counters and recorded results; True if this call ended
    it."""
    with db.session() as s:
        op = lock_operation(s, operation_id)
        if op is None or op.status not in ACTIVE or not op.planned:
            return False
        chunks = s.execute(
            select(OperationChunk.status, OperationChunk.counts, OperationChunk.result)
            .where(OperationChunk.operation_id == operation_id)
            .order_by(OperationChunk.idx)
        ).all()
        if any(status != "DONE" for status, _, _ in chunks):
            return False
        totals: dict[str, int] = {}
        for _, counts, _ in chunks:
            for name, n in (counts or {}).items():
                totals[name] = totals.get(name, 0) + int(n)
        results = [dict(r) for _, _, r in chunks if r is not None]
        made = result(dict(op.params), totals, results)
        return finalize(s, operation_id, "SUCCEEDED", result=made)


def end(db: Database, operation_id: str, status: str, error: tuple[int, str, str] | None) -> bool:
    """End the operation now (FAILED with ``error``, or CANCELLED); False if already ended."""
    with db.session() as s:
        return finalize(s, operation_id, status, error=error)


def end_if_cancelled(db: Database, operation_id: str) -> bool:
    """End the operation CANCELLED if a cancel was asked (a kind stopped on it); else False."""
    with db.session() as s:
        asked = s.scalar(select(Operation.cancel_requested).where(Operation.id == operation_id))
        return bool(asked) and finalize(s, operation_id, "CANCELLED")


def release(db: Database, worker: str, claim: Claim, live: Live) -> None:
    """Give a chunk (or planner) back at a clean shutdown: PENDING again with its checkpoint,
    the interrupted run not counted as an attempt, so a restart resumes it at once."""
    with db.session() as s:
        if claim.idx is None:
            s.execute(
                update(Operation)
                .where(Operation.id == claim.operation_id, Operation.lease_owner == worker)
                .values(lease_owner=None, lease_expires_at=None, attempts=Operation.attempts - 1)
                .execution_options(synchronize_session=False)
            )
            return
        values = _values(live) | {"items_done": live.saved_items, "bytes_done": live.saved_bytes}
        s.execute(
            update(OperationChunk)
            .where(*_chunk_guard(claim, worker))
            .values(
                status="PENDING",
                lease_owner=None,
                lease_expires_at=None,
                attempts=OperationChunk.attempts - 1,
                **values,
            )
            .execution_options(synchronize_session=False)
        )


def _exhausted(s: Any, cfg: LeaseConfig, now: Any) -> list[tuple[str, str]]:
    ops: list[tuple[str, str]] = []
    for op_id, idx, attempts in s.execute(
        select(OperationChunk.operation_id, OperationChunk.idx, OperationChunk.attempts).where(
            OperationChunk.status == "RUNNING",
            OperationChunk.lease_expires_at < now,
            OperationChunk.attempts >= cfg.max_attempts,
        )
    ).all():
        ops.append((op_id, f"chunk {idx} was interrupted {attempts} times"))
    for op_id, attempts in s.execute(
        select(Operation.id, Operation.attempts).where(
            Operation.status.in_(ACTIVE),
            Operation.planned.is_(False),
            Operation.attempts >= cfg.max_attempts,
            Operation.lease_expires_at < now,
        )
    ).all():
        ops.append((op_id, f"planning was interrupted {attempts} times"))
    return ops


def sweep(db: Database, cfg: LeaseConfig) -> int:
    """End what no worker will finish: operations with a chunk (or planner) whose lease expired
    after its last attempt go FAILED (``worker_lost``); cancelled operations with no live
    lease go CANCELLED. Returns how many operations ended."""
    now = utcnow()
    ended = 0
    with db.session() as s:
        for op_id, what in _exhausted(s, cfg, now):
            detail = (
                f"{what} (its worker stopped heartbeating: a crash or a restart); giving up "
                f"after {cfg.max_attempts} attempts"
            )
            ended += finalize(s, op_id, "FAILED", error=(500, "worker_lost", detail))
        for op_id, lease in s.execute(
            select(Operation.id, Operation.lease_expires_at).where(
                Operation.status.in_(ACTIVE), Operation.cancel_requested.is_(True)
            )
        ).all():
            if (lease is None or lease < now) and live_leases(s, op_id, now) == 0:
                ended += finalize(s, op_id, "CANCELLED")
    return ended
