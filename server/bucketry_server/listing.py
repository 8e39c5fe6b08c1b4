"""Blob listings: prefix, delimiter ("folders"), glob, ordering and keyset cursors.

Every listing scans one contiguous key range of the ``(bucket_id, key)`` index: the prefix, or
the longer literal start of the glob. Ordered by name, a delimiter turns each key below the next
delimiter into its folder; after emitting a folder the scan jumps past it (to the successor of the
folder prefix), so a folder holding a million keys costs one query (skip-scan). Ordered by size or
creation time, pages are keyset pages on ``(column, key)``.

Cursors record where the scan stopped (never an offset), so pages neither repeat nor skip entries
while the bucket changes under them. A page examines at most :data:`MAX_SCAN_ROWS` rows (with a
glob, a long key counts as several): a sparse glob can answer a short (even empty) page whose
``next_cursor`` continues the scan; only a null ``next_cursor`` means the end.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring as json_str  # the C encoder, ensure_ascii=False
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from .attributes import printable, printable_metadata
from .globbing import Glob, GlobError, compile_glob, literal_prefix
from .models import Blob
from .pagination import decode_cursor, encode_cursor
from .problems import ApiProblem
from .timeutil import iso

MAX_SCAN_ROWS = 20_000
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
    type_coerce(Blob.meta, Text).label("meta"),
    type_coerce(Blob.created_at, Text).label("created_at"),
    type_coerce(Blob.modified_at, Text).label("modified_at"),
)
# One more than the largest page: a full page plus the row that proves there is a next one
# comes from a single query.
MAX_BATCH = 1001


def key_successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (None: no such bound).

    Keys sort by code point (UTF-8 bytes) everywhere, so ``prefix <= k < successor`` is exactly
    "``k`` starts with ``prefix``", and that range is one index scan.
    """
    chars = list(prefix)
    while chars:
        cp = ord(chars[-1]) + 1
        if 0xD800 <= cp <= 0xDFFF:
            cp = 0xE000
        if cp <= 0x10FFFF:
            chars[-1] = chr(cp)
            return "".join(chars)
        chars.pop()
    return None


def prefix_range(prefix: str) -> list[ColumnElement[bool]]:
    """SQL conditions selecting the keys that start with ``prefix``."""
    conds: list[ColumnElement[bool]] = []
    if prefix:
        conds.append(Blob.key >= prefix)
        upper = key_successor(prefix)
        if upper is not None:
            conds.append(Blob.key < upper)
    return conds


@dataclass(frozen=True)
class ListQuery:
    bucket_id: str
    prefix: str = ""
    delimiter: str | None = None
    glob: str | None = None
    order_by: str = "name"
    descending: bool = False
    page_size: int = 100
    cursor: str | None = None

    def tag(self) -> str:
        """Cursors are only valid for the listing that produced them."""
        raw = "\0".join(
            [
                self.prefix,
                self.delimiter or "",
                self.glob or "",
                self.order_by,
                str(self.descending),
            ]
        )
        return "bl" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]


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
    ``blob_ops.blob_json``."""
    key, size, etag, content_type, sha, meta, created, modified = row
    return (
        f'{{"key":{json_str(key)},"size":{int(size)},"etag":{json_str(etag)},'
        f'"content_type":{json_str(printable(content_type))},'
        f'"sha256":{"null" if sha is None else json_str(sha)},"metadata":{_meta_json(meta)},'
        f'"created_at":{_time_json(created)},"modified_at":{_time_json(modified)}}}'
    )


def _scope(prefix: str, glob: str | None) -> str | None:
    """The literal prefix every listed key has (None: nothing can match)."""
    if glob is None:
        return prefix
    lit = literal_prefix(glob)
    if lit.startswith(prefix):
        return lit
    if prefix.startswith(lit):
        return prefix
    return None


def _compile(glob: str | None) -> Glob | None:
    """The compiled ``glob`` parameter; a 400 naming it if it is not a valid glob."""
    if glob is None:
        return None
    try:
        return compile_glob(glob)
    except GlobError as exc:
        raise ApiProblem(
            400,
            "invalid_parameter",
            f"glob: {exc}",
            errors=[{"loc": ["query", "glob"], "msg": str(exc), "type": "value_error"}],
        ) from exc


def _bad_cursor() -> ApiProblem:
    return ApiProblem(400, "bad_cursor", "the cursor is malformed or belongs to another listing")


class _Page:
    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self.blobs: list[str] = []  # JSON text per entry
        self.prefixes: list[str] = []
        self.count = 0
        self.last_after: list[Any] | None = None  # position after the last entry on the page
        self.more = False  # an entry beyond the page exists

    @property
    def full(self) -> bool:
        return self.count >= self.page_size

    def add_blob(self, blob: Any, after: list[Any]) -> None:
        if self.full:
            self.more = True
            return
        self.blobs.append(blob_entry(blob))
        self.count += 1
        self.last_after = after

    def add_prefix(self, folder: str, after: list[Any]) -> None:
        if self.full:
            self.more = True
            return
        self.prefixes.append(folder)
        self.count += 1
        self.last_after = after


def _page_body(blobs: list[str], prefixes: list[str], next_cursor: str | None) -> bytes:
    text = (
        f'{{"results":[{",".join(blobs)}],'
        f'"prefixes":{json.dumps(prefixes, ensure_ascii=False)},'
        f'"next_cursor":{json.dumps(next_cursor)}}}'
    )
    return text.encode("utf-8")


def list_blobs(session: Session, q: ListQuery) -> bytes:
    """One page as a JSON body: ``{"results": [...], "prefixes": [...], "next_cursor": ...}``."""
    if q.delimiter and q.order_by != "name":
        raise ApiProblem(
            400, "invalid_parameter", "a delimiter (or recursive=false) needs order_by=name"
        )
    pattern = _compile(q.glob)
    scope = _scope(q.prefix, q.glob)
    page = _Page(q.page_size)
    if scope is None:
        decode_cursor(q.cursor, 2, q.tag())  # still refuse a foreign cursor
        return _page_body([], [], None)
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
    return _page_body(page.blobs, page.prefixes, next_cursor)


def _cost(key: str, pattern: Glob | None) -> int:
    """What examining ``key`` costs of a page's scan budget: one row, and with a glob one more
    per 64 characters matched, so a page of long keys cannot hold a worker for long."""
    return 1 if pattern is None else 1 + (len(key) >> 6)


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
    page: _Page,
) -> list[Any] | None:
    """Fill ``page`` in key order; returns where to resume if the scan budget ran out."""
    desc = q.descending
    pos: list[Any] | None = decode_cursor(q.cursor, 2, q.tag(), (str, str))
    if pos is not None and pos[0] not in (("lt",) if desc else ("gt", "ge")):
        raise _bad_cursor()
    order = Blob.key.desc() if desc else Blob.key.asc()
    plain = pattern is None and not q.delimiter
    batch = min(q.page_size + 1, MAX_BATCH if plain else 64, MAX_BATCH)
    examined = 0
    while examined < MAX_SCAN_ROWS:
        stmt = base.where(*_key_range(scope, pos))
        rows = list(session.execute(stmt.order_by(order).limit(batch)).all())
        jumped = False
        for blob in rows:
            if examined >= MAX_SCAN_ROWS:
                return pos
            key = blob.key
            examined += _cost(key, pattern)
            pos = ["lt" if desc else "gt", key]
            if pattern is not None and not pattern.matches(key):
                continue
            if q.delimiter:
                cut = key.find(q.delimiter, len(q.prefix))
                if cut != -1:
                    folder = key[: cut + 1]
                    if desc:
                        after: list[Any] | None = ["lt", folder]
                    else:
                        upper = key_successor(folder)
                        after = None if upper is None else ["ge", upper]
                    page.add_prefix(folder, after or ["ge", folder])
                    if page.more:
                        return None
                    if after is None:  # nothing can sort after this folder
                        return None
                    pos = after
                    jumped = True
                    break
            page.add_blob(blob, list(pos))
            if page.more:
                return None
        if jumped:
            continue
        if len(rows) < batch:
            return None  # end of the range
        batch = min(batch * 2, MAX_BATCH)
    return pos


def _scan_by_column(
    session: Session,
    q: ListQuery,
    base: Select[Any],
    pattern: Glob | None,
    page: _Page,
) -> list[Any] | None:
    """Fill ``page`` in (size|created_at, key) order; returns where to resume if cut short."""
    column = Blob.size if q.order_by == "size" else Blob.created_at
    wanted = int if q.order_by == "size" else datetime
    pos: list[Any] | None = decode_cursor(q.cursor, 2, q.tag(), (wanted, str))
    desc = q.descending
    order = (column.desc(), Blob.key.desc()) if desc else (column.asc(), Blob.key.asc())
    batch = min(q.page_size + 1, MAX_BATCH if pattern is None else 64, MAX_BATCH)
    examined = 0
    while examined < MAX_SCAN_ROWS:
        stmt = base
        if pos is not None:
            row_value = tuple_(column, Blob.key)
            stmt = stmt.where(row_value < tuple_(*pos) if desc else row_value > tuple_(*pos))
        rows = list(session.execute(stmt.order_by(*order).limit(batch)).all())
        for blob in rows:
            if examined >= MAX_SCAN_ROWS:
                return pos
            examined += _cost(blob.key, pattern)
            value = getattr(blob, column.key)
            if isinstance(value, str):  # created_at as SQLite's stored text
                value = datetime.fromisoformat(value)
            pos = [value, blob.key]
            if pattern is not None and not pattern.matches(blob.key):
                continue
            page.add_blob(blob, list(pos))
            if page.more:
                return None
        if len(rows) < batch:
            return None
        batch = min(batch * 2, MAX_BATCH)
    return pos
