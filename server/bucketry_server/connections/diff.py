"""The diff of a connection: a streaming sorted merge, never either side whole.

One side is the bucket listing through its backend (``list_blobs`` pages by key, below each
selected folder in key order, filtered by the globs); the other is the connection's assets
ordered by ``source_key`` (keyset pages of :data:`PAGE` rows on the index
``(project_id, connection_id, source_key)``). Both are in byte order of the key (the catalogue
and ``source_key`` use the same collation), so one pass pairs them: a key only listed is a
file to add, a key only held is an asset whose file is gone, a key on both sides is unchanged.
Memory is a page per side plus one batch of pending adds and removes (and the plan's first
``limit`` items), whatever the bucket holds.

Files to add whose key is already the external id of another asset of the project (a manual
asset, another connection's) are ``conflicting``: left alone, never a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
from sqlalchemy import select

from ..backends.base import BucketBackend, ListQuery
from ..db import Database
from ..errors import BadGateway
from ..models import Asset, Connection
from .selection import Selection

#: Rows per page on each side, and items per batch handed to the writer.
PAGE = 1000


@dataclass(frozen=True)
class Held:
    """An asset of the connection: its id, the key it mirrors, its external id."""

    asset_id: str
    key: str
    external_id: str


@dataclass
class Plan:
    """The diff: complete counts, and the first ``limit`` items of each side in key order."""

    limit: int
    to_add: list[dict[str, Any]] = field(default_factory=list)
    to_remove: list[dict[str, Any]] = field(default_factory=list)
    to_add_count: int = 0
    to_remove_count: int = 0
    unchanged: int = 0
    conflicting: int = 0
    listed: int = 0

    def note_add(self, key: str, size: int) -> None:
        """Count a file to add (listed while under the limit)."""
        self.to_add_count += 1
        if len(self.to_add) < self.limit:
            self.to_add.append({"key": key, "external_id": key, "size": size, "reason": "new_file"})

    def note_remove(self, held: Held) -> None:
        """Count an asset whose file is gone (listed while under the limit)."""
        self.to_remove_count += 1
        if len(self.to_remove) < self.limit:
            self.to_remove.append(
                {
                    "asset_id": held.asset_id,
                    "external_id": held.external_id,
                    "key": held.key,
                    "reason": "file_missing",
                }
            )

    def json(self) -> dict[str, Any]:
        """The spec's ``ConnectionDiff``."""
        return {
            "to_add": self.to_add,
            "to_remove": self.to_remove,
            "unchanged": self.unchanged,
            "to_add_count": self.to_add_count,
            "to_remove_count": self.to_remove_count,
            "conflicting": self.conflicting,
        }


#: Called with a batch of files to add (key, size) that conflict with nothing.
AddBatch = Callable[[list[tuple[str, int]]], Awaitable[None]]
#: Called with a batch of assets whose files are gone.
RemoveBatch = Callable[[list[Held]], Awaitable[None]]


async def listed_files(
    backend: BucketBackend, selection: Selection
) -> AsyncIterator[tuple[str, int]]:
    """``(key, size)`` of every blob the selection takes, in key order, page by page.

    Raises ``BadGateway`` (``listing_out_of_order``) if the listing is not in strictly
    increasing key order: the merge would then take files for gone ones."""
    previous: str | None = None
    for prefix in selection.prefixes():
        query = ListQuery(prefix=prefix, page_size=PAGE)
        while True:
            page = json.loads(await backend.list_blobs(query))
            for blob in page["results"]:
                key = blob["key"]
                if previous is not None and key <= previous:
                    raise BadGateway(
                        "listing_out_of_order",
                        f"the bucket listing returned {key!r} after {previous!r}; nothing synced",
                    )
                previous = key
                if selection.takes(key):
                    yield key, int(blob.get("size") or 0)
            if page["next_cursor"] is None:
                break
            query = replace(query, cursor=page["next_cursor"])


def _held_page(db: Database, con: Connection, below: str, after: str | None) -> list[Held]:
    stmt = select(Asset.id, Asset.source_key, Asset.external_id).where(
        Asset.project_id == con.project_id,
        Asset.connection_id == con.id,
        Asset.source_key.is_not(None),
        Asset.id < below,
    )
    if after is not None:
        stmt = stmt.where(Asset.source_key > after)
    stmt = stmt.order_by(Asset.source_key).limit(PAGE)
    with db.session() as s:
        return [Held(a, k or "", e) for a, k, e in s.execute(stmt).all()]


async def held_assets(db: Database, con: Connection, below: str) -> AsyncIterator[Held]:
    """The connection's assets created before id ``below`` (ids are time-ordered, so assets a
    running sync adds are never read back as gone), by key, one keyset page at a time."""
    after: str | None = None
    while True:
        page = await anyio.to_thread.run_sync(_held_page, db, con, below, after)
        for held in page:
            yield held
        if len(page) < PAGE:
            return
        after = page[-1].key


def _taken(db: Database, project_id: str, keys: list[str]) -> set[str]:
    with db.session() as s:
        return set(
            s.scalars(
                select(Asset.external_id).where(
                    Asset.project_id == project_id, Asset.external_id.in_(keys)
                )
            )
        )


class _Batcher:
    """Pending adds and removes, handed over in batches of :data:`PAGE`."""

    def __init__(
        self,
        db: Database,
        con: Connection,
        plan: Plan,
        on_add: AddBatch | None,
        on_remove: RemoveBatch | None,
    ) -> None:
        self.db, self.con, self.plan = db, con, plan
        self.on_add, self.on_remove = on_add, on_remove
        self.adds: list[tuple[str, int]] = []
        self.removes: list[Held] = []

    async def add(self, key: str, size: int) -> None:
        self.adds.append((key, size))
        if len(self.adds) >= PAGE:
            await self.flush_adds()

    async def remove(self, held: Held) -> None:
        self.plan.note_remove(held)
        self.removes.append(held)
        if len(self.removes) >= PAGE:
            await self.flush_removes()

    async def flush_adds(self) -> None:
        batch, self.adds = self.adds, []
        if not batch:
            return
        keys = [k for k, _ in batch]
        taken = await anyio.to_thread.run_sync(_taken, self.db, self.con.project_id, keys)
        fresh = [(k, n) for k, n in batch if k not in taken]
        self.plan.conflicting += len(batch) - len(fresh)
        for key, size in fresh:
            self.plan.note_add(key, size)
        if fresh and self.on_add is not None:
            await self.on_add(fresh)

    async def flush_removes(self) -> None:
        batch, self.removes = self.removes, []
        if batch and self.on_remove is not None:
            await self.on_remove(batch)


async def run_diff(
    db: Database,
    con: Connection,
    backend: BucketBackend,
    *,
    below: str,
    limit: int,
    on_add: AddBatch | None = None,
    on_remove: RemoveBatch | None = None,
    check: Callable[[], Awaitable[None]] | None = None,
) -> Plan:
    """Merge the bucket listing with the connection's assets and return the plan.

    ``below`` bounds the asset side (an id from :func:`..assets.rows.ordered_id` taken at the
    start). ``on_add``/``on_remove`` receive batches to apply (None: a pure diff that writes
    nothing); ``check`` is awaited between pages (an operation's cancel check). ``limit``
    caps the items listed in the plan, never its counts. Raises what the backend raises."""
    plan = Plan(limit=limit)
    selection = Selection.of(con.selected_folders, con.include, con.exclude)
    batcher = _Batcher(db, con, plan, on_add, on_remove)
    held_iter = held_assets(db, con, below).__aiter__()
    held = await anext(held_iter, None)
    async for key, size in listed_files(backend, selection):
        plan.listed += 1
        if check is not None and plan.listed % PAGE == 0:
            await check()
        while held is not None and held.key < key:
            await batcher.remove(held)
            held = await anext(held_iter, None)
        if held is not None and held.key == key:
            plan.unchanged += 1
            held = await anext(held_iter, None)
        else:
            await batcher.add(key, size)
    while held is not None:
        await batcher.remove(held)
        held = await anext(held_iter, None)
    await batcher.flush_adds()
    await batcher.flush_removes()
    return plan
