"""Blob listings: prefix, delimiter ("folders"), glob, ordering and keyset cursors.

Every listing scans one contiguous key range of the ``(bucket_id, key)`` index: the prefix, or
the longer literal start of the glob. Ordered by name, a delimiter turns each key below the next
delimiter into its folder; after emitting a folder the scan jumps past it (to the successor of the
folder prefix), so a folder holding a million keys costs one query (skip-scan). Ordered by size or
creation time, pages are keyset pages on ``(column, key)``.

Cursors record where the scan stopped (never an offset), so pages neither repeat nor skip entries
while the bucket changes under them. A page examines at most :data:`..scan.MAX_SCAN_ROWS` rows (with a
glob, a long key counts as several): a sparse glob can answer a short (even empty) page whose
``next_cursor`` continues the scan; only a null ``next_cursor`` means the end.
"""

from __future__ import annotations

import json
from datetime import datetime
from json.encoder import encode_basestring as json_str  # the C encoder, ensure_ascii=False
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from ...errors import DomainError, Invalid
from ...globbing import Glob
from ...jsontext import printable, printable_metadata
from ...models import Blob
from ...pagination import decode_cursor, encode_cursor
from ...timeutil import iso
from ..base import ListQuery
from ..scan import (
    Page,
    ScanBudget,
    compile_glob_param,
    glob_scope,
    key_successor,
    name_position_ok,
    scan_by_name,
)

# Plain rows of just what a listing shows (no ORM identity map). The JSON and time columns come
# back as the driver gives them, without SQLAlchemy's result processing: on SQLite that is the
# stored text, which goes into the page nearly as is (see blob_entry) instead of being parsed
# into Python objects only to be formatted back.
LISTED_COLUMNS: tuple[Any, ...] = (
    Blob.key,
    Blob.size,
    Blob.etag,
    Blob.content_type,
    Blob.sha256,
    Blob.crc32c,
    type_coerce(Blob.meta, Text).label("meta"),
    type_coerce(Blob.created_at, Text).label("created_at"),
    type_coerce(Blob.modified_at, Text).label("modified_at"),
)


def prefix_range(prefix: str) -> list[ColumnElement[bool]]:
    """SQL conditions selecting the keys that start with ``prefix``."""
    conds: list[ColumnElement[bool]] = []
    if prefix:
        conds.append(Blob.key >= prefix)
        upper = key_successor(prefix)
        if upper is not None:
            conds.append(Blob.key < upper)
    return conds


def _time_json(value: Any) -> str:
    """A stored time as a JSON string, exactly as :func:`iso` writes it.

    SQLite returns the text SQLAlchemy stored (naive UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``);
    reshaping that text is several times cheaper than parsing and formatting a datetime. Other
    drivers return datetimes.
    """
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            return f'"{value[:10]}T{value[11:23]}Z"'
        value = datetime.fromisoformat(value)
    return f'"{iso(value)}"'


def _meta_json(value: Any) -> str:
    """User metadata as a JSON object: SQLite's stored JSON text as is, else serialised."""
    if isinstance(value, str):
        return value if value.startswith("{") else "{}"
    return json.dumps(printable_metadata(value), ensure_ascii=False, separators=(",", ":"))


def blob_entry(row: Any) -> str:
    """One listed row (``LISTED_COLUMNS``) as JSON text, with the fields and order of
    ``blobs.views.blob_json``."""
    key, size, etag, content_type, sha, crc, meta, created, modified = row
    return (
        f'{{"key":{json_str(key)},"size":{int(size)},"etag":{json_str(etag)},'
        f'"content_type":{json_str(printable(content_type))},'
        f'"sha256":{"null" if sha is None else json_str(sha)},'
        f'"crc32c":{"null" if crc is None else json_str(crc)},"metadata":{_meta_json(meta)},'
        f'"created_at":{_time_json(created)},"modified_at":{_time_json(modified)}}}'
    )


def _bad_cursor() -> DomainError:
    return Invalid("bad_cursor", "the cursor is malformed or belongs to another listing")


def page_body(
    blobs: list[str], prefixes: list[str], next_cursor: str | None, folders: list[str] | None = None
) -> bytes:
    """A ``BlobPage`` JSON body from blob entries (JSON text), folder names, the next cursor
    and, when known, the folders' ``FolderEntry`` objects (JSON text)."""
    extra = "" if folders is None else f'"folders":[{",".join(folders)}],'
    text = (
        f'{{"results":[{",".join(blobs)}],'
        f'"prefixes":{json.dumps(prefixes, ensure_ascii=False)},{extra}'
        f'"next_cursor":{json.dumps(next_cursor)}}}'
    )
    return text.encode("utf-8")


def list_blobs(session: Session, q: ListQuery) -> bytes:
    """One page as a JSON body: ``{"results": [...], "prefixes": [...], "next_cursor": ...}``."""
    page, next_cursor = scan_page(session, q)
    return page_body([blob_entry(row) for row in page.blobs], page.prefixes, next_cursor)


def scan_page(session: Session, q: ListQuery) -> tuple[Page, str | None]:
    """One page of rows (``LISTED_COLUMNS``) and folders, and the next page's cursor. Raises
    ``Invalid`` for a delimiter with an order other than by name (see :mod:`.folders`), a bad
    glob or cursor."""
    if q.delimiter and q.order_by != "name":
        raise Invalid("invalid_parameter", "a delimiter (or recursive=false) needs order_by=name")
    pattern = compile_glob_param(q.glob)
    scope = glob_scope(q.prefix, q.glob)
    page = Page(q.page_size)
    if scope is None:
        decode_cursor(q.cursor, 2, q.tag())  # still refuse a foreign cursor
        return page, None
    base = select(*LISTED_COLUMNS).where(Blob.bucket_id == q.bucket_id)
    if q.order_by == "name":
        resume = _scan_by_name(session, q, base, scope, pattern, page)
    else:
        resume = _scan_by_column(session, q, base.where(*prefix_range(scope)), pattern, page)
    if page.more:
        assert page.last_after is not None
        next_cursor: str | None = encode_cursor(page.last_after, q.tag())
    elif resume is not None:  # scan budget spent before the end of the range
        next_cursor = encode_cursor(resume, q.tag())
    else:
        next_cursor = None
    return page, next_cursor


def _key_range(scope: str, pos: list[Any] | None) -> list[ColumnElement[bool]]:
    """The key range left to scan: ``scope``'s range narrowed by the resume position.

    Exactly one lower and at most one upper bound: given two lower bounds (the prefix and the
    cursor), SQLite seeks to the prefix and filters every row up to the cursor, so each page
    would rescan all the pages before it.
    """
    upper = key_successor(scope) if scope else None
    if pos is None:
        lower: ColumnElement[bool] | None = Blob.key >= scope if scope else None
    elif pos[0] == "lt":
        lower = Blob.key >= scope if scope else None
        if upper is None or pos[1] < upper:
            return [c for c in (lower, Blob.key < pos[1]) if c is not None]
    elif pos[1] >= scope:
        lower = Blob.key > pos[1] if pos[0] == "gt" else Blob.key >= pos[1]
    else:
        lower = Blob.key >= scope
    conds = [] if lower is None else [lower]
    if upper is not None:
        conds.append(Blob.key < upper)
    return conds


def _scan_by_name(
    session: Session,
    q: ListQuery,
    base: Select[Any],
    scope: str,
    pattern: Glob | None,
    page: Page,
) -> list[Any] | None:
    """Fill ``page`` in key order (the skip-scan of :mod:`..scan` over the catalogue);
    returns where to resume if the scan budget ran out."""
    pos: list[Any] | None = decode_cursor(q.cursor, 2, q.tag(), (str, str))
    if not name_position_ok(pos, q.descending):
        raise _bad_cursor()
    order = Blob.key.desc() if q.descending else Blob.key.asc()

    def fetch(after: list[Any] | None, limit: int) -> list[Any]:
        stmt = base.where(*_key_range(scope, after)).order_by(order).limit(limit)
        return list(session.execute(stmt).all())

    return scan_by_name(fetch, q, scope, pattern, page, pos)


def _scan_by_column(
    session: Session,
    q: ListQuery,
    base: Select[Any],
    pattern: Glob | None,
    page: Page,
) -> list[Any] | None:
    """Fill ``page`` in (size|created_at, key) order; returns where to resume if cut short."""
    column = Blob.size if q.order_by == "size" else Blob.created_at
    wanted = int if q.order_by == "size" else datetime
    pos: list[Any] | None = decode_cursor(q.cursor, 2, q.tag(), (wanted, str))
    desc = q.descending
    order = (column.desc(), Blob.key.desc()) if desc else (column.asc(), Blob.key.asc())
    budget = ScanBudget(q.page_size, filtered=pattern is not None)
    while not budget.spent:
        stmt = base
        if pos is not None:
            row_value = tuple_(column, Blob.key)
            stmt = stmt.where(row_value < tuple_(*pos) if desc else row_value > tuple_(*pos))
        rows = list(session.execute(stmt.order_by(*order).limit(budget.batch)).all())
        for blob in rows:
            if budget.spent:
                return pos
            budget.charge(blob.key, pattern)
            value = getattr(blob, column.key)
            if isinstance(value, str):  # created_at as SQLite's stored text
                value = datetime.fromisoformat(value)
            pos = [value, blob.key]
            if pattern is not None and not pattern.matches(blob.key):
                continue
            page.add_blob(blob, list(pos))
            if page.more:
                return None
        if len(rows) < budget.batch:
            return None
        budget.grow()
    return pos
