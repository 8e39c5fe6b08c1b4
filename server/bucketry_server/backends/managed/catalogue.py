"""The catalogue of a managed bucket: blob rows pointing at objects of the object store.

The one write path. Every write (single PUT, signed PUT, copy, multipart completion, tar batch)
goes through :func:`commit_blobs`:

1. the bytes go to the object store under a new object id (visible there only when complete),
2. one transaction locks the bucket row, checks the preconditions again (a racing writer may
   have won), inserts or updates the rows (in bulk), updates the bucket's usage counters once
   and marks every replaced object ``dead`` in the ledger;
3. replaced objects are deleted after the commit, in a task (``objects.discard_later``): the
   request answers once its transaction committed.

A crash between 1 and 2 leaves an object no row references: the start-up sweep
(``maintenance``) deletes those, so no ledger write is needed before the body is streamed (one
write transaction per PUT, not two).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ...crc32c import to_wire
from ...errors import DomainError, Invalid, NotFound, TooLarge
from ...groupcommit import run_write
from ...ids import new_id
from ...models import Blob, Bucket
from ...state import AppState
from ...storage.base import ChecksumMismatchError, Expected, TooLargeError, WriteResult
from ...timeutil import utcnow
from ..base import InTransaction
from ..conditions import check_preconditions, version_etag
from .objects import LEDGER, commit_failed, discard_later, discard_objects, forget_ledger

KEYS_PER_QUERY = 500  # bound the IN lists (SQLite has a variable limit)


@dataclass
class NewBlob:
    """A written object to commit under ``key``; after the commit it holds the blob's
    attributes (``created_at``/``modified_at`` set, or ``refused`` if the key existed and
    overwriting was not allowed). Its attribute names are those of a ``Blob`` row."""

    key: str
    object_id: str
    size: int
    sha256: str | None
    md5: str | None = None
    content_type: str = "application/octet-stream"
    meta: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    modified_at: datetime | None = None
    refused: bool = False
    #: CRC32C as base64 of its big-endian bytes (None: not known, e.g. a copy of an old blob).
    crc32c: str | None = None
    #: The ETag of the same bytes stored earlier (a copy keeps its source's).
    same_as: str | None = None

    @property
    def etag(self) -> str:
        """The version's ETag: a copy's source's, else from its SHA-256 or its object id."""
        return self.same_as or version_etag(self.sha256, self.object_id)

    @classmethod
    def written(
        cls, key: str, object_id: str, result: WriteResult, content_type: str, meta: dict[str, str]
    ) -> NewBlob:
        """The blob for an object the store just wrote (its checksums from ``result``)."""
        return cls(
            key=key,
            object_id=object_id,
            size=result.size,
            sha256=result.sha256_hex,
            md5=result.md5_hex,
            content_type=content_type,
            meta=dict(meta),
            crc32c=None if result.crc32c is None else to_wire(result.crc32c),
        )


def find_blob(session: Session, bucket_id: str, key: str) -> Blob | None:
    """The blob row of ``key``, if any."""
    return session.scalar(select(Blob).where(Blob.bucket_id == bucket_id, Blob.key == key))


async def write_object(
    state: AppState,
    chunks: AsyncIterator[bytes],
    expected: Expected,
    object_id: str | None = None,
) -> tuple[str, WriteResult]:
    """Write a new object (under ``object_id`` if given); checksum and size failures raise
    ``Invalid`` (``checksum_mismatch``) / ``TooLarge`` with nothing kept."""
    oid = object_id or new_id("obj")
    try:
        result = await state.store.write(oid, chunks, expected)
    except ChecksumMismatchError as exc:
        await discard_objects(state, [oid])
        raise Invalid("checksum_mismatch", str(exc)) from exc
    except TooLargeError as exc:
        await discard_objects(state, [oid])
        raise TooLarge("payload_too_large", str(exc)) from exc
    except BaseException:
        await discard_objects(state, [oid])
        raise
    return oid, result


async def commit_blobs(
    state: AppState,
    bucket_id: str,
    items: Sequence[NewBlob],
    *,
    overwrite: bool = True,
    if_match: str | None = None,
    if_none_match: str | None = None,
    also: InTransaction | None = None,
) -> list[NewBlob]:
    """Point each item's key at its object, all in one transaction (run in a worker thread).

    ``if_match``/``if_none_match`` (single-item commits) raise ``PreconditionFailed``;
    ``overwrite=False`` marks items whose key exists ``refused`` instead (their objects are
    deleted). ``also`` runs inside the same transaction once the preconditions hold (multipart
    completion deletes its upload there); whatever it raises aborts the commit, and a
    ``DomainError`` it raises must come before it writes anything (on SQLite the commit may
    share its transaction with others, :mod:`...groupcommit`). Replaced
    objects are deleted soon after the commit, which marked them ``dead``: the request does
    not wait (``discard_later``). If the commit fails (bucket gone: ``NotFound``; a
    precondition; ``also``), every new object is deleted and the error propagates; if the
    caller is cancelled meanwhile, the commit may still land and nothing is deleted
    (:func:`.objects.commit_failed`).
    """
    preconditions = (if_match, if_none_match)
    try:
        # SQLite: concurrent commits of this process share one transaction (group commit).
        replaced = await run_write(
            state.db, lambda s: _commit_in(s, bucket_id, items, overwrite, preconditions, also)
        )
    except BaseException as exc:
        if commit_failed(exc):
            await discard_objects(state, [item.object_id for item in items])
        raise
    discard_later(state, replaced)
    await discard_objects(state, [i.object_id for i in items if i.refused], forget=False)
    return list(items)


_BLOBS = cast(Table, Blob.__table__)
_BUCKETS = cast(Table, Bucket.__table__)
# Built once (the statement objects and their compiled forms are reused by every commit) and run
# on the session's connection: the ORM layer cost a third of a small PUT's server CPU.
#: Locks the bucket row and adds the usage of the rows about to be written (corrected after
#: the reads if some key existed): one statement for both on the common path of new keys.
_LOCK_AND_COUNT = (
    _BUCKETS.update()
    # A bucket a forced delete hid takes no write (its blobs are being purged): 404.
    .where(_BUCKETS.c.id == bindparam("b_id"), _BUCKETS.c.deleted_at.is_(None))
    .values(
        bytes_used=_BUCKETS.c.bytes_used + bindparam("d_bytes"),
        object_count=_BUCKETS.c.object_count + bindparam("d_count"),
    )
)
_EXISTING = (
    select(
        _BLOBS.c.key,
        _BLOBS.c.id,
        _BLOBS.c.object_id,
        _BLOBS.c.size,
        _BLOBS.c.created_at,
        _BLOBS.c.etag,
    )
    .where(
        _BLOBS.c.bucket_id == bindparam("b_id"), _BLOBS.c.key.in_(bindparam("keys", expanding=True))
    )
    .with_for_update()
)
_INSERT = _BLOBS.insert()
#: The columns a new version of a blob sets (an insert adds bucket, key and creation time).
_VERSION_COLUMNS = (
    "object_id",
    "size",
    "etag",
    "md5",
    "sha256",
    "crc32c",
    "content_type",
    "meta",
    "modified_at",
)
#: Updates a blob row to a new version (executemany; parameters ``b_<column>``).
_UPDATE = (
    _BLOBS.update()
    .where(_BLOBS.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in _VERSION_COLUMNS})
)


def _mark_statement(insert: Any) -> Any:
    """INSERT … ON CONFLICT (object_id) DO UPDATE SET state, for executemany."""
    stmt = insert(LEDGER)
    return stmt.on_conflict_do_update(
        index_elements=[LEDGER.c.object_id], set_={"state": stmt.excluded.state}
    )


#: Ledger marks, [SQLite, PostgreSQL].
_MARK = (_mark_statement(sqlite_insert), _mark_statement(pg_insert))


def _existing_rows(
    s: Session, bucket_id: str, keys: list[str]
) -> dict[str, tuple[int, str, int, datetime, str]]:
    """Key -> (row id, object id, size, created_at, etag) of the keys that exist."""
    existing: dict[str, tuple[int, str, int, datetime, str]] = {}
    conn = s.connection()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        rows = conn.execute(
            _EXISTING, {"b_id": bucket_id, "keys": keys[start : start + KEYS_PER_QUERY]}
        )
        for key, row_id, object_id, size, created_at, etag in rows:
            existing[key] = (row_id, object_id, size, created_at, etag)
    return existing


def _commit_in(
    s: Session,
    bucket_id: str,
    items: Sequence[NewBlob],
    overwrite: bool,
    preconditions: tuple[str | None, str | None],
    also: InTransaction | None,
) -> list[str]:
    """The commit's statements in the transaction of ``s``; returns the replaced objects.
    A refusal (bucket gone, a precondition) leaves the transaction as it found it, so a group
    commit (:mod:`...groupcommit`) goes on with its other jobs."""
    if_match, if_none_match = preconditions
    now = utcnow()
    # Lock the bucket row first: on SQLite this takes the write lock before the reads below,
    # on PostgreSQL it serialises writers of one bucket, so two racing creates of one key
    # cannot both miss the existing row (and trip the unique constraint). The same statement
    # counts every item as a new blob; the reads correct that below.
    assumed = sum(item.size for item in items), len(items)
    locked = s.connection().execute(
        _LOCK_AND_COUNT, {"b_id": bucket_id, "d_bytes": assumed[0], "d_count": assumed[1]}
    )
    if not getattr(locked, "rowcount", 1):
        raise NotFound("not_found", "bucket not found")
    existing = _existing_rows(s, bucket_id, [item.key for item in items])
    try:
        if if_match is not None or if_none_match is not None:
            for item in items:
                old = existing.get(item.key)
                check_preconditions(old[4] if old else None, if_match, if_none_match)
        if also is not None:  # refuses (a DomainError) before writing anything
            also(s)
    except DomainError:
        _count(s, bucket_id, -assumed[0], -assumed[1])  # undo the count: nothing written
        raise
    inserts, updates, replaced, delta_bytes = _plan_rows(bucket_id, items, existing, overwrite, now)
    _write_rows(s, inserts, updates)
    mark_objects(s, replaced, "dead")
    if also is not None:  # only a multipart completion (its ``also``) marks pending
        forget_ledger(s, [item.object_id for item in items if not item.refused])
    if (delta_bytes, len(inserts)) != assumed:
        _count(s, bucket_id, delta_bytes - assumed[0], len(inserts) - assumed[1])
    return replaced


def _count(s: Session, bucket_id: str, d_bytes: int, d_count: int) -> None:
    """Add to the bucket's usage counters."""
    s.connection().execute(
        _LOCK_AND_COUNT, {"b_id": bucket_id, "d_bytes": d_bytes, "d_count": d_count}
    )


def _plan_rows(
    bucket_id: str,
    items: Sequence[NewBlob],
    existing: dict[str, tuple[int, str, int, datetime, str]],
    overwrite: bool,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], int]:
    """The rows to insert and update, the replaced objects and the change of bytes used; sets
    each item's times (or ``refused`` when its key exists and ``overwrite`` is False)."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    replaced: list[str] = []
    delta_bytes = 0
    for item in items:
        old = existing.get(item.key)
        if old is not None and not overwrite:
            item.refused = True
            continue
        item.modified_at = now
        delta_bytes += item.size
        fields = _row_fields(item, now)
        if old is None:
            item.created_at = now
            inserts.append({"bucket_id": bucket_id, "key": item.key, "created_at": now, **fields})
        else:
            row_id, old_object, old_size, item.created_at, _ = old
            delta_bytes -= old_size
            replaced.append(old_object)
            updates.append({"b_id": row_id, **{f"b_{k}": v for k, v in fields.items()}})
    return inserts, updates, replaced, delta_bytes


def _row_fields(item: NewBlob, now: datetime) -> dict[str, Any]:
    """The :data:`_VERSION_COLUMNS` of ``item``'s row (its modification time ``now``)."""
    item_values = {"etag": item.etag, "modified_at": now}
    return {name: item_values.get(name, getattr(item, name)) for name in _VERSION_COLUMNS}


def _write_rows(s: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    """Insert and update blob rows with executemany (one statement each for the batch)."""
    if inserts:
        s.connection().execute(_INSERT, inserts)
    if updates:
        s.connection().execute(_UPDATE, updates)


def mark_objects(s: Session, object_ids: list[str], ledger_state: str) -> None:
    """Record objects in the ledger as ``ledger_state`` (``pending``/``dead``), idempotently:
    an object already there takes the new state (INSERT … ON CONFLICT DO UPDATE, one
    executemany with a statement compiled once per dialect)."""
    if not object_ids:
        return
    now = utcnow()
    conn = s.connection()
    conn.execute(
        _MARK[conn.dialect.name == "postgresql"],
        [{"object_id": oid, "state": ledger_state, "created_at": now} for oid in object_ids],
    )


class _RowOfBlob(Protocol):
    id: int
    object_id: str
    size: int


def drop_blob_rows(s: Session, bucket_id: str, rows: Sequence[_RowOfBlob]) -> list[str]:
    """Delete ``rows`` (blob rows of ``bucket_id``, read in the transaction of ``s``), mark
    their objects ``dead`` and lower the bucket's usage by them, whether or not a forced
    delete hid the bucket (its purge calls this too). Returns the objects to delete once the
    transaction committed."""
    ids = [row.id for row in rows]
    for start in range(0, len(ids), KEYS_PER_QUERY):
        s.execute(_BLOBS.delete().where(_BLOBS.c.id.in_(ids[start : start + KEYS_PER_QUERY])))
    objects = [row.object_id for row in rows]
    mark_objects(s, objects, "dead")
    s.execute(
        _BUCKETS.update()
        .where(_BUCKETS.c.id == bucket_id)
        .values(
            bytes_used=_BUCKETS.c.bytes_used - sum(row.size for row in rows),
            object_count=_BUCKETS.c.object_count - len(rows),
        )
    )
    return objects


async def delete_blob_rows(
    state: AppState, bucket_id: str, blob_ids: list[int], *, if_match: str | None = None
) -> list[Blob]:
    """Delete blobs by row id (those still present) and their objects; returns what went.

    The transaction runs in a worker thread, off the event loop. ``if_match`` is checked again
    inside the transaction (``PreconditionFailed`` if a racing write changed the blob). Safe
    against concurrent writes of the same keys: the bucket row is locked first, as
    :func:`commit_blobs` does, so the rows read are the latest and the ledger marks cannot
    clash."""
    if not blob_ids:
        return []

    def transaction() -> list[Blob]:
        with state.db.session() as s:
            s.execute(update(Bucket).where(Bucket.id == bucket_id).values(version=Bucket.version))
            gone = list(
                s.scalars(
                    select(Blob)
                    .where(Blob.id.in_(blob_ids), Blob.bucket_id == bucket_id)
                    .with_for_update()
                ).all()
            )
            if not gone:
                return []
            if if_match is not None:
                for b in gone:
                    check_preconditions(b.etag, if_match, None)
            drop_blob_rows(s, bucket_id, gone)
        return gone

    gone = await run_in_threadpool(transaction)
    await discard_objects(state, [b.object_id for b in gone])
    return gone
