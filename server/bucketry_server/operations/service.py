"""Operation services for the routes: create (validated by its kind before the row exists),
get, list, cancel. Only the owner, or members of the organization it was started in, see an
operation; anyone else gets the same 404 as for one that does not exist.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ..accounts.access import resolve_org
from ..accounts.principals import Principal
from ..errors import Conflict, NotFound, TooManyRequests, forbidden
from ..ids import new_id
from ..models import Membership, Operation, User
from ..pagination import keyset_page
from ..state import AppState
from ..timeutil import utcnow
from . import builtin  # noqa: F401  (registers the kinds)
from .kinds import get_kind
from .leases import ACTIVE, FINAL, finalize, live_leases, lock_operation
from .views import operation_json


def _visible(p: Principal) -> ColumnElement[bool]:
    """SQL: operations ``p`` may see (own or org's; scoped credentials: only their own)."""
    if p.scoped:
        return Operation.token_id == p.token_id
    return or_(Operation.owner_id == p.user_id, Operation.org_id.in_(sorted(p.org_ids)))


def _find(s: Session, p: Principal, operation_id: str) -> Operation:
    op = None
    if operation_id.startswith("op_") and "\x00" not in operation_id:
        op = s.scalar(select(Operation).where(Operation.id == operation_id, _visible(p)))
    if op is None:
        raise NotFound("not_found", "operation not found")
    return op


#: Membership roles that may cancel another member's operation in their organization.
ORG_MANAGERS = ("owner", "admin")


def _may_cancel(s: Session, p: Principal, op: Operation) -> bool:
    """Whether ``p`` may cancel ``op`` (which it can see): its owner, a server admin, or an
    owner/admin of the organization it was started in (other members only see it)."""
    if op.owner_id == p.user_id or p.is_admin:
        return True
    if op.org_id is None:
        return False
    role = s.scalar(
        select(Membership.role).where(
            Membership.org_id == op.org_id, Membership.user_id == p.user_id
        )
    )
    return role in ORG_MANAGERS


def _request_hash(request: dict[str, Any]) -> str:
    raw = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _replay(s: Session, owner_id: str, key: str, digest: str) -> dict[str, Any] | None:
    """The operation an earlier request with ``Idempotency-Key: key`` created, if any;
    ``Conflict`` if that request was a different one."""
    op = s.scalar(
        select(Operation).where(Operation.owner_id == owner_id, Operation.idempotency_key == key)
    )
    if op is None:
        return None
    if op.request_hash != digest:
        raise Conflict(
            "idempotency_key_reused",
            "Idempotency-Key: this key was used for a different request; use a new key",
        )
    return operation_json(op)


def _lock_owner(s: Session, owner_id: str) -> None:
    """Serialize the operation inserts of one owner: a no-op ``UPDATE`` of the user row takes
    its row lock on PostgreSQL and the write lock on SQLite (first statement of the
    transaction), so a count read after it is not overtaken by a concurrent insert."""
    s.execute(
        update(User)
        .where(User.id == owner_id)
        .values(is_admin=User.is_admin)
        .execution_options(synchronize_session=False)
    )


def _add_locked(s: Session, op: Operation, limit: int) -> dict[str, Any] | None:
    """Add ``op`` under its owner's lock, the bound and its ``Idempotency-Key`` checked again
    (other requests may have added operations while this one was validated). Returns the
    operation an earlier request with the same key created instead (``op`` is not added);
    raises ``Conflict`` (key reused for another request), ``TooManyRequests``."""
    _lock_owner(s, op.owner_id)
    if op.idempotency_key is not None:
        earlier = _replay(s, op.owner_id, op.idempotency_key, op.request_hash or "")
        if earlier is not None:
            return earlier
    _check_active(s, op.owner_id, limit)
    s.add(op)
    return None


def _check_active(s: Session, owner_id: str, limit: int) -> None:
    """``TooManyRequests`` if the owner already has ``limit`` operations not yet ended."""
    active = s.scalar(
        select(func.count()).where(Operation.owner_id == owner_id, Operation.status.in_(ACTIVE))
    )
    if (active or 0) >= limit:
        raise TooManyRequests(
            "too_many_operations",
            f"you have {active} operations pending or running (at most {limit}); wait for some "
            "to end or cancel them",
            headers={"Retry-After": "10"},
        )


async def create_operation(
    state: AppState, p: Principal, request: dict[str, Any], idempotency_key: str | None = None
) -> tuple[dict[str, Any], bool]:
    """Validate ``request`` (``kind`` and the ``OperationCreate`` fields the client gave; the
    kind's ``validate`` gets them without ``kind``) with its kind and record a PENDING
    operation; returns its JSON and whether it is new (False: replayed for a repeated
    ``Idempotency-Key``). Raises the kind's domain errors (404 bucket, 403 write, 400 bad
    parameter), ``NotServed`` for a kind this server does not run, ``Conflict`` for a reused
    key, ``TooManyRequests`` over ``operation_max_active``, ``Unauthenticated`` without a
    user."""
    owner_id = p.require_user()
    kind = get_kind(str(request.get("kind")))
    digest = _request_hash(request)

    def prepare() -> tuple[dict[str, Any] | None, str | None]:
        with state.db.session() as s:
            org_id = resolve_org(s, p, p.org_slug).id if p.org_slug else None
            if idempotency_key is not None:
                earlier = _replay(s, owner_id, idempotency_key, digest)
                if earlier is not None:
                    return earlier, org_id
            _check_active(s, owner_id, state.settings.operation_max_active)
            return None, org_id

    earlier, org_id = await run_in_threadpool(prepare)
    if earlier is not None:
        return earlier, False
    fields = {name: value for name, value in request.items() if name != "kind"}
    params = await kind.validate(state, p, fields)

    def insert() -> tuple[dict[str, Any], bool]:
        now = utcnow()
        op = Operation(
            id=new_id("op"),
            kind=kind.name,
            params=params,
            owner_id=owner_id,
            org_id=org_id,
            token_id=p.token_id,
            idempotency_key=idempotency_key,
            request_hash=digest,
            status="PENDING",
            items_done=0,
            bytes_done=0,
            attempts=0,
            cancel_requested=False,
            planned=False,
            created_at=now,
            updated_at=now,
        )
        try:
            with state.db.session() as s:
                replayed = _add_locked(s, op, state.settings.operation_max_active)
            if replayed is not None:
                return replayed, False
        except IntegrityError:  # the same key, raced: answer with the winner
            if idempotency_key is None:
                raise
            with state.db.session() as s:
                winner = _replay(s, owner_id, idempotency_key, digest)
            if winner is None:
                raise
            return winner, False
        return operation_json(op), True

    created, new = await run_in_threadpool(insert)
    if new:
        state.wake_operations()
    return created, new


def get_operation(state: AppState, p: Principal, operation_id: str) -> dict[str, Any]:
    """The operation's JSON; ``NotFound`` unless the caller may see it."""
    p.require_user()
    with state.db.session() as s:
        return operation_json(_find(s, p, operation_id))


def list_operations(
    state: AppState,
    p: Principal,
    *,
    status: str | None = None,
    kind: str | None = None,
    page_size: int = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """One page (``OperationPage``) of the operations the caller may see, newest first,
    optionally of one ``status`` and ``kind``; ``Invalid`` (``bad_cursor``) for a bad cursor."""
    p.require_user()
    where = [_visible(p)]
    if status is not None:
        where.append(Operation.status == status)
    if kind is not None:
        where.append(Operation.kind == kind)
    tag = f"ops:{status or ''}:{kind or ''}"
    with state.db.session() as s:
        stmt = select(Operation).where(and_(*where))
        keys = [Operation.created_at, Operation.id]
        rows, nxt = keyset_page(s, stmt, keys, cursor, page_size, descending=True, tag=tag)
        return {"results": [operation_json(op) for op in rows], "next_cursor": nxt}


def cancel_operation(state: AppState, p: Principal, operation_id: str) -> dict[str, Any]:
    """Ask the operation to stop: it ends CANCELLED at once if nothing of it is running, else
    when its workers next check (within a second). ``NotFound`` unless visible, ``Forbidden``
    for read-only credentials and for org members who are not its owner, an owner or admin
    of its org, or a server admin; ``Conflict`` (``operation_finished``) once it has ended."""
    p.require_user()
    if p.read_only:
        raise forbidden("read-only credentials cannot cancel operations")
    with state.db.session() as s:
        op = _find(s, p, operation_id)
        if not _may_cancel(s, p, op):
            raise forbidden(
                "only the operation's owner, an owner or admin of its organization, or a "
                "server admin may cancel it"
            )
        op = lock_operation(s, op.id) or op
        if op.status in FINAL:
            raise Conflict(
                "operation_finished", f"operation {op.id} has already ended ({op.status})"
            )
        op.cancel_requested = True
        now = utcnow()
        op.updated_at = now
        s.flush()
        idle = op.lease_expires_at is None or op.lease_expires_at < now
        if idle and live_leases(s, op.id, now) == 0:
            finalize(s, op.id, "CANCELLED")
    with state.db.session() as s:
        return operation_json(_find(s, p, operation_id))
