"""Listings of imported buckets in orders providers do not keep: name descending (with or
without folders), size and time in both directions.

Providers list by key only, ascending. Such a page is a bounded scan of the listing's key range
(the prefix, or the glob's literal start) through the client's ``list_page``: every listed object
that matches the glob and lies beyond the cursor is offered to a selection that keeps only one
page plus one entry (a heap for size and time, a bounded deque for names, which arrive in
order), so memory is O(page) whatever the bucket holds. Every page re-scans the range. The scan
spends a :class:`..scan.ScanBudget` whose row budget is the server's sort limit
(``BUCKETRY_REMOTE_SORT_LIMIT``, charged per listed object as every scan charges); a range
holding more answers 400 ``sort_too_large`` naming the limit (``order_by=name`` ascending
works at any size).

Cursors carry the sort value and the key (``[size|time, key]``, ties ordered by key), or the
descending name scan's ``["lt", key]`` position, as managed buckets' cursors do; results equal
a managed bucket's with the same keys (providers keep no creation time: ``created_at`` is the
object's last modification).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ...errors import Invalid
from ...globbing import Glob
from ...pagination import decode_cursor, encode_cursor
from ..aggregates import Accumulator, Aggregate
from ..base import ListQuery
from ..scan import ScanBudget, name_position_ok
from .client import ObjectClient, ObjectInfo
from .records import RemoteBlob, record

#: Default of ``Settings.remote_sort_limit``: objects one sorted page may list.
DEFAULT_SORT_LIMIT = 100_000

#: One selected entry: (sort value, key, folder or None, provider object or None, what lies
#: below the folder or None).
Entry = tuple[Any, str, str | None, ObjectInfo | None, Accumulator | None]


def naive_utc(value: datetime | None) -> datetime:
    """A provider time as naive UTC (how cursors and the catalogue hold times)."""
    if value is None:
        return datetime.min
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _too_large(q: ListQuery, limit: int) -> Invalid:
    return Invalid(
        "sort_too_large",
        f"order_by={q.order_by}&order={'desc' if q.descending else 'asc'}: an imported "
        f"bucket's provider lists by key only, so this order lists every object of the range "
        f"for each page, and this range holds more than the server's limit of {limit} listed "
        f"objects (BUCKETRY_REMOTE_SORT_LIMIT; with a glob, keys over 64 characters count "
        f"more than once); narrow the prefix or glob, or use order_by=name (ascending), which "
        f"works at any size",
        errors=[{"loc": ["query", "order_by"], "msg": "too many objects", "type": "value_error"}],
    )


def scan_range(
    client: ObjectClient,
    root: str,
    scope: str,
    q: ListQuery,
    limit: int,
    pattern: Glob | None,
    stop_at: str | None = None,
) -> Iterator[tuple[str, ObjectInfo]]:
    """``(bucket key, object)`` of the provider keys ``root + scope...`` in key order (up to
    ``stop_at``, exclusive) that match ``pattern``, listed in the budget's growing batches
    (records are made only for the page shown). Raises ``Invalid`` (``sort_too_large``)
    before examining an object past ``limit``."""
    budget = ScanBudget(q.page_size, filtered=pattern is not None, rows=limit)
    cut = len(root)
    after: str | None = None
    while True:
        infos = client.list_page(root + scope, after, budget.batch)
        for info in infos:
            key = info.key[cut:]
            if stop_at is not None and key >= stop_at:
                return
            if budget.spent:
                raise _too_large(q, limit)
            budget.charge(key, pattern)
            if pattern is None or pattern.matches(key):
                yield key, info
        if len(infos) < budget.batch:
            return
        after = infos[-1].key
        budget.grow()


def _folder_of(key: str, q: ListQuery) -> str | None:
    """The folder one level below ``q.prefix`` that ``key`` lies in (None: a blob there)."""
    if not q.delimiter:
        return None
    cut = key.find(q.delimiter, len(q.prefix))
    return None if cut == -1 else key[: cut + 1]


def _names_descending(
    found: Iterator[tuple[str, ObjectInfo]], q: ListQuery, keep: int
) -> list[Entry]:
    """The ``keep`` greatest names (folders with a delimiter, summed) of the ascending
    ``found``, greatest first: a folder is one entry however many keys it holds."""
    last: deque[Entry] = deque(maxlen=keep)
    for key, info in found:
        folder = _folder_of(key, q)
        if folder is None:
            last.append((key, key, None, info, None))
            continue
        if not (last and last[-1][2] == folder):  # a folder's keys are contiguous
            last.append((folder, folder, folder, None, Accumulator()))
        acc = last[-1][4]
        assert acc is not None
        acc.add(int(info.size), naive_utc(info.modified_at))
    return list(reversed(last))


def _entries(found: Iterator[tuple[str, ObjectInfo]], q: ListQuery) -> Iterator[Entry]:
    """The entries one level below ``q.prefix`` in key order, each with its sort value (size,
    or time; a folder's: the total size or latest time below it, summed while its contiguous
    keys go by)."""
    by_size = q.order_by == "size"
    folder: Entry | None = None

    def closed(entry: Entry) -> Entry:
        acc = entry[4]
        assert acc is not None
        value = acc.size if by_size else (acc.latest or datetime.min)
        return (value, entry[1], entry[2], None, acc)

    for key, info in found:
        name = _folder_of(key, q)
        if folder is not None and name != folder[2]:
            yield closed(folder)
            folder = None
        if name is None:
            yield (
                int(info.size) if by_size else naive_utc(info.modified_at),
                key,
                None,
                info,
                None,
            )
            continue
        if folder is None:
            folder = (None, name, name, None, Accumulator())
        acc = folder[4]
        assert acc is not None
        acc.add(int(info.size), naive_utc(info.modified_at))
    if folder is not None:
        yield closed(folder)


def _by_column(
    found: Iterator[tuple[str, ObjectInfo]], q: ListQuery, pos: list[Any] | None, keep: int
) -> list[Entry]:
    """The first ``keep`` entries of ``found`` (blobs, and folders with a delimiter) in
    ``(size|time, name)`` order after ``pos`` (names are unique, so entries compare by value
    and name alone)."""
    desc = q.descending
    after = None if pos is None else (pos[0], pos[1])

    def beyond() -> Iterator[Entry]:
        for entry in _entries(found, q):
            at = (entry[0], entry[1])
            if after is not None and (at >= after if desc else at <= after):
                continue
            yield entry

    select = heapq.nlargest if desc else heapq.nsmallest
    return select(keep, beyond(), key=lambda e: (e[0], e[1]))


def sorted_page(
    client: ObjectClient,
    root: str,
    origin: str,
    q: ListQuery,
    scope: str | None,
    pattern: Glob | None,
    limit: int,
) -> tuple[list[RemoteBlob], list[str], list[Aggregate] | None, str | None]:
    """One page of an imported bucket in an order other than ascending names: its blobs, its
    folders (with a delimiter, in page order), their aggregates (with a delimiter and no
    glob, else None: every object below them was listed, so they are complete) and the next
    cursor. ``scope`` is the key range's
    literal prefix (None: nothing can match). Raises ``Invalid``: ``bad_cursor`` for a
    malformed or foreign cursor, ``sort_too_large`` past ``limit`` listed objects; provider
    errors propagate."""
    if q.order_by == "name":
        pos = decode_cursor(q.cursor, 2, q.tag(), (str, str))
        if not name_position_ok(pos, True):
            raise Invalid("bad_cursor", "the cursor is malformed or belongs to another listing")
    else:
        kind = int if q.order_by == "size" else datetime
        pos = decode_cursor(q.cursor, 2, q.tag(), (kind, str))
    if scope is None:
        return [], [], None, None
    keep = q.page_size + 1
    if q.order_by == "name":
        stop = None if pos is None else pos[1]
        found = scan_range(client, root, scope, q, limit, pattern, stop_at=stop)
        chosen = _names_descending(found, q, keep)
    else:
        chosen = _by_column(scan_range(client, root, scope, q, limit, pattern), q, pos, keep)
    page = chosen[: q.page_size]
    next_cursor = None
    if len(chosen) > q.page_size:
        last = page[-1]
        at = ["lt", last[1]] if q.order_by == "name" else [last[0], last[1]]
        next_cursor = encode_cursor(at, q.tag())
    blobs_out = [record(e[3], root, origin) for e in page if e[3] is not None]
    folders = [e[2] for e in page if e[2] is not None]
    sums = None
    if q.delimiter and pattern is None:
        sums = [e[4].total() for e in page if e[2] is not None and e[4] is not None]
    return blobs_out, folders, sums, next_cursor
