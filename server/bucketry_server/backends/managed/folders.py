"""Listings with a delimiter whose folders carry aggregates: total size, blob count and latest
creation time of everything below them (``BlobPage.folders``).

- Ordered by name, the page comes from the skip-scan of :mod:`.listing` as before; then each
  folder on the page is summed with one aggregate query over its key range (an index range
  scan). The rows those queries may read are bounded per page (:data:`MAX_FOLDER_ROWS`, at
  least :data:`MIN_FOLDER_ROWS` per folder); a folder cut short says ``complete: false`` and
  its figures cover the rows read.
- Ordered by size or creation time, every entry one level below the prefix (blob or folder)
  must be known to sort them: one ``GROUP BY`` over the prefix's key range (SQLite ``instr``,
  PostgreSQL ``strpos`` find the delimiter) gives each entry's count, total size and latest
  time, after a bounded count has checked that at most :data:`MAX_FOLDER_ROWS` blobs lie
  below the prefix (else 400 ``sort_too_large``). Entries sort by ``(value, name)`` and
  pages are keyset pages on that pair, so pages neither repeat nor skip entries; the blobs on
  the page are then read by key.

With a glob, folders keep the plain ``prefixes`` (their aggregates would have to be filtered
by the glob) and ordering by size or time with a delimiter is refused with a 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...errors import Invalid
from ...models import Blob
from ...pagination import decode_cursor, encode_cursor
from ..aggregates import MIN_FOLDER_ROWS, Aggregate, folder_json
from ..aggregates import naive_time as _naive
from ..base import ListQuery
from .listing import LISTED_COLUMNS, blob_entry, page_body, prefix_range, scan_page

__all__ = ["MAX_FOLDER_ROWS", "MIN_FOLDER_ROWS", "list_with_folders"]

#: Blob rows one page may aggregate (folders by name), or may lie below a prefix whose
#: entries are sorted by size or time.
MAX_FOLDER_ROWS = 200_000


def list_with_folders(session: Session, q: ListQuery) -> bytes:
    """One page of a listing with ``q.delimiter`` set, as a ``BlobPage`` JSON body with
    ``folders``. Raises ``Invalid`` (``invalid_parameter`` for a glob with an order other than
    by name, ``sort_too_large``, ``bad_cursor``)."""
    if q.order_by == "name":
        page, next_cursor = scan_page(session, q)
        blobs = [blob_entry(row) for row in page.blobs]
        if q.glob is not None:
            return page_body(blobs, page.prefixes, next_cursor)
        aggs = _aggregate_folders(session, q.bucket_id, page.prefixes)
        folders = [folder_json(f, a) for f, a in zip(page.prefixes, aggs, strict=True)]
        return page_body(blobs, page.prefixes, next_cursor, folders)
    if q.glob is not None:
        raise Invalid(
            "invalid_parameter",
            "a delimiter (or recursive=false) with a glob needs order_by=name",
        )
    return _sorted_page(session, q)


def _aggregate_folders(session: Session, bucket_id: str, folders: list[str]) -> list[Aggregate]:
    """Each folder's aggregate, reading at most the page's row budget (see module doc)."""
    left = MAX_FOLDER_ROWS
    out: list[Aggregate] = []
    for folder in folders:
        limit = max(left, MIN_FOLDER_ROWS)
        rows = (
            select(Blob.size, Blob.created_at)
            .where(Blob.bucket_id == bucket_id, *prefix_range(folder))
            .limit(limit + 1)
            .subquery()
        )
        count, size, latest = session.execute(
            select(
                func.count(), func.coalesce(func.sum(rows.c.size), 0), func.max(rows.c.created_at)
            )
        ).one()
        complete = count <= limit
        out.append(Aggregate(int(count), int(size or 0), _naive(latest), complete))
        left -= int(count)
    return out


def _entry_column(session: Session, q: ListQuery) -> Any:
    """SQL for the entry one level below ``q.prefix`` a key belongs to: the folder (up to and
    including the delimiter) or the key itself."""
    assert q.delimiter is not None
    find = func.strpos if session.get_bind().dialect.name == "postgresql" else func.instr
    start = len(q.prefix)
    pos = find(func.substr(Blob.key, start + 1), q.delimiter)
    return case((pos > 0, func.substr(Blob.key, 1, start + pos)), else_=Blob.key)


def _sorted_page(session: Session, q: ListQuery) -> bytes:
    """A page of the prefix's entries ordered by total size or latest time (module doc)."""
    by_size = q.order_by == "size"
    pos = decode_cursor(q.cursor, 2, q.tag(), (int if by_size else datetime, str))
    scope = [Blob.bucket_id == q.bucket_id, *prefix_range(q.prefix)]
    below = select(Blob.key).where(*scope).limit(MAX_FOLDER_ROWS + 1).subquery()
    if session.execute(select(func.count()).select_from(below)).scalar_one() > MAX_FOLDER_ROWS:
        raise Invalid(
            "sort_too_large",
            f"more than {MAX_FOLDER_ROWS} blobs below prefix {q.prefix!r}: folders can only be "
            "ordered by size or time below fewer; use order_by=name or a longer prefix",
            errors=[{"loc": ["query", "order_by"], "msg": "too many blobs", "type": "value_error"}],
        )
    # The entry expression is computed in a subquery and grouped by its column: grouping by
    # the expression itself would repeat its bound parameters, which PostgreSQL cannot match.
    rows = (
        select(_entry_column(session, q).label("entry"), Blob.size, Blob.created_at)
        .where(*scope)
        .subquery()
    )
    stmt = select(
        rows.c.entry,
        func.count(),
        func.coalesce(func.sum(rows.c.size), 0),
        func.max(rows.c.created_at),
    ).group_by(rows.c.entry)
    entries: list[tuple[Any, str, Aggregate]] = []
    for name, count, size, latest in session.execute(stmt):
        agg = Aggregate(int(count), int(size or 0), _naive(latest))
        entries.append((agg.size if by_size else agg.latest, name, agg))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=q.descending)
    if pos is not None:
        mark = (pos[0] if by_size else _naive(pos[0]), pos[1])
        entries = [
            e for e in entries if ((e[0], e[1]) < mark if q.descending else (e[0], e[1]) > mark)
        ]
    shown, more = entries[: q.page_size], len(entries) > q.page_size
    next_cursor = encode_cursor([shown[-1][0], shown[-1][1]], q.tag()) if more else None
    return _render(session, q, shown, next_cursor)


def _render(
    session: Session,
    q: ListQuery,
    shown: list[tuple[Any, str, Aggregate]],
    next_cursor: str | None,
) -> bytes:
    """The page body: blobs read by key, folders with their aggregates, in page order."""
    assert q.delimiter is not None
    is_folder = [name.endswith(q.delimiter) and len(name) > len(q.prefix) for _, name, _ in shown]
    keys = [name for (_, name, _), f in zip(shown, is_folder, strict=True) if not f]
    rows = {}
    if keys:
        found = session.execute(
            select(*LISTED_COLUMNS).where(Blob.bucket_id == q.bucket_id, Blob.key.in_(keys))
        )
        rows = {row.key: row for row in found}
    blobs, prefixes, folders = [], [], []
    for (_, name, agg), folder in zip(shown, is_folder, strict=True):
        if folder:
            prefixes.append(name)
            folders.append(folder_json(name, agg))
        elif name in rows:  # else deleted since the aggregate: left out
            blobs.append(blob_entry(rows[name]))
    return page_body(blobs, prefixes, next_cursor, folders)
