"""Diff and sync of a connection: the plan, and applying it in batches.

A sync is the diff (:mod:`.diff`) whose batches are written as they come: new files become
assets (content ``bkt://<bucket id>/<key>``, ``external_id`` = ``source_key`` = key, status
TODO) in one transaction per batch of at most :data:`.diff.PAGE`; with
``delete_extraneous_files`` the connection's assets whose files are gone are deleted in batches
(their labels with them). Then ``last_checked`` is set and ``number_of_assets`` recounted (and
written only if it changed), and the project's ``updated_at`` moves only if an asset did.

Idempotent: a second sync of an unchanged bucket finds every key on both sides and writes
nothing but the connection's ``last_checked`` (decided: it records that the bucket was
checked). A **dry run** writes nothing at all — no row, no counter, no timestamp: it is the
same read-only diff, and the connection is not even re-read for update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..accounts.principals import Principal
from ..assets.rows import ordered_id
from ..backends.registry import backend_for
from ..db import Database
from ..errors import Conflict
from ..models import Asset, Bucket, Connection, Project
from ..projects.service import touch
from ..state import AppState
from ..timeutil import utcnow
from .diff import Held, Plan, run_diff
from .service import connection_bucket, connection_json, get_connection

#: A sync of a managed bucket known to hold more objects than this runs as a CONNECTION_SYNC
#: operation (an imported bucket's size is unknown to the server: its syncs always do).
OPERATION_THRESHOLD = 5000


def runs_as_operation(state: AppState, p: Principal, connection_id: str, asked: bool) -> bool:
    """Whether a (real) sync of ``connection_id`` runs as an operation: when ``asked``, when
    its bucket is imported (the server keeps no object count of a provider's bucket, which
    may hold millions), or when its managed bucket's recorded object count is over
    :data:`OPERATION_THRESHOLD`. Raises ``NotFound`` as :func:`diff_connection`."""
    _, bucket = load_checked(state.db, p, connection_id)
    if asked or backend_for(state, bucket).imported:
        return True
    return bucket.object_count > OPERATION_THRESHOLD


def load_checked(db: Database, p: Principal, connection_id: str) -> tuple[Connection, Bucket]:
    """The connection (visible to ``p``) and its bucket (still readable by ``p``); raises
    ``NotFound`` otherwise."""
    with db.session() as s:
        con = get_connection(s, p, connection_id)
        return con, connection_bucket(s, p, con)


async def diff_connection(state: AppState, p: Principal, connection_id: str, *, limit: int) -> Plan:
    """The plan of connection ``connection_id`` (read only). Raises ``NotFound`` for a
    connection whose project the caller cannot see or whose bucket it can no longer read,
    and the backend's errors (e.g. 502 ``provider_unreachable``)."""
    con, bucket = await anyio.to_thread.run_sync(load_checked, state.db, p, connection_id)
    backend = backend_for(state, bucket)
    return await run_diff(state.db, con, backend, below=ordered_id("ast"), limit=limit)


def _asset_row(con: Connection, bucket_id: str, key: str, now: Any) -> dict[str, Any]:
    return {
        "id": ordered_id("ast"),
        "project_id": con.project_id,
        "content": f"bkt://{bucket_id}/{key}",
        "json_content": None,
        "external_id": key,
        "json_metadata": {},
        "status": "TODO",
        "priority": 0,
        "consensus_mark": None,
        "honeypot_mark": None,
        "is_honeypot": False,
        "is_used_for_consensus": False,
        "to_be_labeled_by": [],
        "skipped": False,
        "latest_label_id": None,
        "connection_id": con.id,
        "source_key": key,
        "created_at": now,
        "updated_at": now,
    }


class _Writer:
    """Applies the diff's batches, one transaction each, counting what it did."""

    def __init__(self, db: Database, con: Connection, bucket_id: str, delete_gone: bool) -> None:
        self.db, self.con, self.bucket_id, self.delete_gone = db, con, bucket_id, delete_gone
        self.added = 0
        self.removed = 0

    def _insert(self, batch: list[tuple[str, int]]) -> None:
        now = utcnow()
        rows = [_asset_row(self.con, self.bucket_id, key, now) for key, _ in batch]
        try:
            with self.db.session() as s:
                s.execute(insert(Asset), rows)
        except IntegrityError as exc:
            raise Conflict(
                "sync_conflict",
                "another sync or append created some of these assets meanwhile; sync again",
            ) from exc
        self.added += len(rows)

    def _delete(self, batch: list[Held]) -> None:
        ids = [h.asset_id for h in batch]
        with self.db.session() as s:
            result = s.execute(
                delete(Asset).where(Asset.id.in_(ids), Asset.connection_id == self.con.id)
            )
            self.removed += int(getattr(result, "rowcount", 0) or 0)

    async def on_add(self, batch: list[tuple[str, int]]) -> None:
        """Create the assets of a batch of new files."""
        await anyio.to_thread.run_sync(self._insert, batch)

    async def on_remove(self, batch: list[Held]) -> None:
        """Delete a batch of assets whose files are gone (only with delete_extraneous_files)."""
        if self.delete_gone:
            await anyio.to_thread.run_sync(self._delete, batch)

    def finish(self) -> Connection:
        """Record ``last_checked`` and the recounted ``number_of_assets``; touch the project
        if assets changed. Returns the connection as stored."""
        with self.db.session() as s:
            con = s.get(Connection, self.con.id)
            if con is None:
                raise Conflict("connection_gone", "the connection was deleted during the sync")
            count = s.scalar(
                select(func.count()).where(
                    Asset.project_id == con.project_id, Asset.connection_id == con.id
                )
            )
            con.last_checked = utcnow()
            if con.number_of_assets != int(count or 0):
                con.number_of_assets = int(count or 0)
            if self.added or self.removed:
                project = s.get(Project, con.project_id)
                if project is not None:
                    touch(project)
            return con


async def sync_connection(
    state: AppState,
    p: Principal,
    connection_id: str,
    *,
    dry_run: bool,
    delete_extraneous_files: bool,
    limit: int,
    check: Callable[[], Awaitable[None]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Synchronise connection ``connection_id``; returns the spec's ``ConnectionSyncResult``.

    ``dry_run`` computes the plan and writes nothing; otherwise new files become assets and,
    with ``delete_extraneous_files``, assets whose files are gone are deleted. ``limit`` caps
    the plan's listed items; ``check`` and ``progress`` are an operation's hooks (see
    :func:`.diff.run_diff`). Raises ``NotFound`` as :func:`diff_connection`, ``Conflict``
    (``sync_conflict``) when a concurrent writer created the same assets, and backend errors."""
    con, bucket = await anyio.to_thread.run_sync(load_checked, state.db, p, connection_id)
    backend = backend_for(state, bucket)
    if dry_run:
        plan = await run_diff(state.db, con, backend, below=ordered_id("ast"), limit=limit)
        return {
            "dry_run": True,
            "plan": plan.json(),
            "added": 0,
            "removed": 0,
            "connection": connection_json(con),
        }
    writer = _Writer(state.db, con, bucket.id, delete_extraneous_files)
    plan = await run_diff(
        state.db,
        con,
        backend,
        below=ordered_id("ast"),
        limit=limit,
        on_add=writer.on_add,
        on_remove=writer.on_remove,
        check=check,
        progress=progress,
    )
    stored = await anyio.to_thread.run_sync(writer.finish)
    return {
        "dry_run": False,
        "plan": plan.json(),
        "added": writer.added,
        "removed": writer.removed,
        "connection": connection_json(stored),
    }
