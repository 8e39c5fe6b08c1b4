"""Claiming work under a lease, renewing it, and ending operations: the engine's SQL.

Two kinds of lease: an operation's own (its planner, splitting the work into chunks) and a
chunk's (the worker running that key range). A lease is ``lease_owner`` + ``lease_expires_at``;
whoever holds it renews it with every heartbeat; a lease that expired is free to take again.

Claims are safe with several server instances on one database: on PostgreSQL the candidate row
is taken with ``SELECT … FOR UPDATE SKIP LOCKED`` (instances never wait on each other's rows)
and the per-owner bound is re-counted under a transaction-scoped advisory lock on the owner; on
SQLite (one process) claims are serialized by a lock and every takeover is a guarded
``UPDATE … WHERE`` the row is still as it was read. Every write a worker makes to its chunk is
guarded by ``lease_owner`` = itself, so a worker whose lease was taken over writes nothing.

All functions are synchronous (run them in a worker thread) and raise only database errors.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text, union_all, update
from sqlalchemy.orm import Session

from ..db import Database
from ..models import Operation, OperationChunk
from ..timeutil import utcnow

ACTIVE = ("PENDING", "RUNNING")
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
#: Chunk states: PENDING, RUNNING, DONE, ENDED (its operation ended first) or FAILED.
CHUNK_OPEN = ("PENDING", "RUNNING")

_SQLITE_CLAIMS = threading.Lock()


@dataclass(frozen=True)
class LeaseConfig:
    """Lease length, attempts per chunk (or planner) and running chunks per owner."""

    lease_seconds: float = 30.0
    max_attempts: int = 3
    owner_limit: int = 2

    def expiry(self, now: datetime) -> datetime:
        """When a lease taken or renewed at ``now`` expires."""
        return now + timedelta(seconds=self.lease_seconds)


@dataclass(frozen=True)
class Claim:
    """A unit of work a worker holds: an operation's planner (``idx`` None) or one chunk."""

    operation_id: str
    kind: str
    params: dict[str, Any]
    owner_id: str
    token_id: str | None
    idx: int | None
    attempt: int
    range_after: str | None = None
    range_last: str | None = None
    items_total: int | None = None
    bytes_total: int | None = None
    checkpoint: str | None = None
    counts: dict[str, int] | None = None
    saved_items: int = 0
    saved_bytes: int = 0


def _postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def claim_planner(db: Database, worker: str, cfg: LeaseConfig) -> Claim | None:
    """Take the lease of an operation whose chunks are not all known yet (new, or its planner's
    lease expired) of an owner below the per-owner bound (planners count as running units);
    None if there is none. Marks it RUNNING."""
    now = utcnow()
    with _serial(db), db.session() as s:
        stmt = (
            select(Operation)
            .where(
                Operation.status.in_(ACTIVE),
                Operation.planned.is_(False),
                Operation.cancel_requested.is_(False),
                Operation.attempts < cfg.max_attempts,
                or_(Operation.lease_expires_at.is_(None), Operation.lease_expires_at < now),
                Operation.owner_id.not_in(_busy(now, cfg)),
            )
            .order_by(Operation.created_at, Operation.id)
            .limit(1)
        )
        if _postgres(s):
            stmt = stmt.with_for_update(skip_locked=True)
        op = s.scalar(stmt)
        if op is None:
            return None
        if _postgres(s) and not _below_bound(s, op.owner_id, now, cfg):
            return None
        taken = s.execute(
            update(Operation)
            .where(
                Operation.id == op.id,
                Operation.planned.is_(False),
                Operation.attempts == op.attempts,
            )
            .values(
                lease_owner=worker,
                lease_expires_at=cfg.expiry(now),
                heartbeat_at=now,
                attempts=op.attempts + 1,
                status="RUNNING",
                started_at=func.coalesce(Operation.started_at, now),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return Claim(
            op.id,
            op.kind,
            dict(op.params),
            op.owner_id,
            op.token_id,
            None,
            op.attempts + 1,
            checkpoint=op.plan_after,
        )


def _leased_owners(now: datetime) -> Any:
    """One row per unit an owner has running: live chunk leases and live planner leases."""
    chunks = select(OperationChunk.owner_id.label("owner_id")).where(
        OperationChunk.status == "RUNNING", OperationChunk.lease_expires_at >= now
    )
    planners = select(Operation.owner_id.label("owner_id")).where(
        Operation.status.in_(ACTIVE),
        Operation.planned.is_(False),
        Operation.lease_expires_at >= now,
    )
    return union_all(chunks, planners).subquery()


def _busy(now: datetime, cfg: LeaseConfig) -> Any:
    """Owners at their bound of running units (chunks and planners)."""
    leased = _leased_owners(now)
    return (
        select(leased.c.owner_id)
        .group_by(leased.c.owner_id)
        .having(func.count() >= cfg.owner_limit)
    )


def _candidates(now: datetime, cfg: LeaseConfig) -> Any:
    return (
        select(OperationChunk)
        .join(Operation, Operation.id == OperationChunk.operation_id)
        .where(
            Operation.status.in_(ACTIVE),
            Operation.cancel_requested.is_(False),
            or_(
                OperationChunk.status == "PENDING",
                and_(
                    OperationChunk.status == "RUNNING",
                    OperationChunk.lease_expires_at < now,
                    OperationChunk.attempts < cfg.max_attempts,
                ),
            ),
            OperationChunk.owner_id.not_in(_busy(now, cfg)),
        )
        .order_by(Operation.created_at, OperationChunk.operation_id, OperationChunk.idx)
        .limit(1)
    )


def _running_for(s: Session, owner_id: str, now: datetime) -> int:
    leased = _leased_owners(now)
    return int(
        s.scalar(select(func.count()).select_from(leased).where(leased.c.owner_id == owner_id)) or 0
    )


def _below_bound(s: Session, owner_id: str, now: datetime, cfg: LeaseConfig) -> bool:
    """PostgreSQL: two instances may pick two units of one owner at once; under a transaction
    advisory lock on the owner, count again."""
    s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:o))"), {"o": owner_id})
    return _running_for(s, owner_id, now) < cfg.owner_limit


def claim_chunk(db: Database, worker: str, cfg: LeaseConfig) -> Claim | None:
    """Take the lease of a PENDING chunk, or of a RUNNING one whose lease expired (with
    attempts left), of an owner below the per-owner bound; None if there is none."""
    now = utcnow()
    with _serial(db), db.session() as s:
        stmt = _candidates(now, cfg)
        if _postgres(s):
            stmt = stmt.with_for_update(skip_locked=True, of=OperationChunk)
        chunk: OperationChunk | None = s.scalar(stmt)
        if chunk is None:
            return None
        if _postgres(s) and not _below_bound(s, chunk.owner_id, now, cfg):
            return None
        taken = s.execute(
            update(OperationChunk)
            .where(
                OperationChunk.operation_id == chunk.operation_id,
                OperationChunk.idx == chunk.idx,
                OperationChunk.status == chunk.status,
                OperationChunk.attempts == chunk.attempts,
            )
            .values(
                status="RUNNING",
                lease_owner=worker,
                lease_expires_at=cfg.expiry(now),
                heartbeat_at=now,
                attempts=chunk.attempts + 1,
                items_done=chunk.saved_items,
                bytes_done=chunk.saved_bytes,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        op = s.get(Operation, chunk.operation_id)
        assert op is not None
        if op.status == "PENDING":
            op.status, op.started_at, op.updated_at = "RUNNING", now, now
        return Claim(
            op.id,
            op.kind,
            dict(op.params),
            op.owner_id,
            op.token_id,
            chunk.idx,
            chunk.attempts + 1,
            chunk.range_after,
            chunk.range_last,
            chunk.items_total,
            chunk.bytes_total,
            chunk.checkpoint,
            dict(chunk.counts or {}),
            chunk.saved_items,
            chunk.saved_bytes,
        )


class _serial:
    """The SQLite claim lock (a no-op context on other databases)."""

    def __init__(self, db: Database) -> None:
        self.lock = _SQLITE_CLAIMS if db.engine.dialect.name == "sqlite" else None

    def __enter__(self) -> None:
        if self.lock is not None:
            self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        if self.lock is not None:
            self.lock.release()


def refresh_progress(s: Session, operation_id: str, now: datetime) -> None:
    """Set the operation's progress to the sum of its chunks' (totals only once every chunk
    is known and has them)."""
    c = OperationChunk
    row = s.execute(
        select(
            func.count(),
            func.coalesce(func.sum(c.items_done), 0),
            func.coalesce(func.sum(c.bytes_done), 0),
            func.count(c.items_total),
            func.sum(c.items_total),
            func.count(c.bytes_total),
            func.sum(c.bytes_total),
        ).where(c.operation_id == operation_id)
    ).one()
    n, items, nbytes, n_items, items_total, n_bytes, bytes_total = row
    planned = s.scalar(select(Operation.planned).where(Operation.id == operation_id))
    s.execute(
        update(Operation)
        .where(Operation.id == operation_id)
        .values(
            items_done=items,
            bytes_done=nbytes,
            items_total=items_total if planned and n_items == n else None,
            bytes_total=bytes_total if planned and n_bytes == n else None,
            updated_at=now,
        )
    )


def finalize(
    s: Session,
    operation_id: str,
    status: str,
    *,
    error: tuple[int, str, str] | None = None,
    result: dict[str, Any] | None = None,
) -> bool:
    """End an active operation in ``status`` (with its error's HTTP status, code and detail, or
    its result) and
    close its open chunks; False if it had already ended (whoever ended it first wins)."""
    now = utcnow()
    ended = s.execute(
        update(Operation)
        .where(Operation.id == operation_id, Operation.status.in_(ACTIVE))
        .values(
            status=status,
            finished_at=now,
            updated_at=now,
            error_status=error[0] if error else None,
            error_code=error[1] if error else None,
            error_detail=error[2][:2000] if error else None,
            result=result,
            lease_owner=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        return False
    s.execute(
        update(OperationChunk)
        .where(OperationChunk.operation_id == operation_id, OperationChunk.status.in_(CHUNK_OPEN))
        .values(status="ENDED", lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    refresh_progress(s, operation_id, now)
    return True


def lock_operation(s: Session, operation_id: str) -> Operation | None:
    """The operation row, locked for the transaction on PostgreSQL (finishing is decided by
    one transaction at a time)."""
    stmt = select(Operation).where(Operation.id == operation_id)
    if _postgres(s):
        stmt = stmt.with_for_update()
    return s.scalar(stmt)


def live_leases(s: Session, operation_id: str, now: datetime) -> int:
    """Running chunks of the operation whose lease is still valid."""
    return int(
        s.scalar(
            select(func.count()).where(
                OperationChunk.operation_id == operation_id,
                OperationChunk.status == "RUNNING",
                OperationChunk.lease_expires_at >= now,
            )
        )
        or 0
    )
