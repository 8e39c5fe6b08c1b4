"""Listings of imported buckets: the skip-scan of :mod:`..scan` over a provider's flat,
key-ordered listing (``ObjectClient.list_page``), with the same cursors as managed buckets.

Providers list by key only, ascending: ``order_by=name`` ascending is served here at any size
(folders by delimiter, glob, prefix, cursors); size and time orders and descending name order
are a bounded scan of the range per page (:mod:`.sorting`).

With a delimiter and no glob, folders carry their aggregates (``BlobPage.folders``: total
size, object count, latest time below each; providers keep no creation time, so the latest
modification), as managed buckets' do. Sorted pages list their whole range anyway and sum
folders on the way (:mod:`.sorting`). A by-name page is the skip-scan's; :func:`folder_sums`
then sums its folders. The page's entries are contiguous in key order (everything between its
first and last entry is one of its blobs or lies below one of its folders), so one ascending
listing from the first folder on covers them all: one provider page of keys per request,
however many small folders the page shows. The objects summed per page are bounded by the
sort limit (``BUCKETRY_REMOTE_SORT_LIMIT``) and by :data:`FOLDER_SUM_LIMIT` (a by-name page
stays cheap however big its folders), each folder allowed at least
:data:`..aggregates.MIN_FOLDER_ROWS` even once the page's budget is spent: a folder holding
more than its allowance says ``complete: false`` (its figures cover the objects counted) and
the listing seeks straight to the next folder. Folder browsing (``/content``) asks for no sums
(``ListQuery.folder_sums``).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as json_str
from typing import Any

from ...errors import Invalid
from ...jsontext import printable, printable_metadata
from ...pagination import decode_cursor, encode_cursor
from ...timeutil import iso
from ..aggregates import MIN_FOLDER_ROWS, Accumulator, Aggregate, folder_json
from ..base import ListQuery
from ..scan import (
    Fetch,
    Page,
    compile_glob_param,
    glob_scope,
    key_successor,
    name_position_ok,
    scan_by_name,
)
from .client import ObjectClient
from .records import RemoteBlob, record
from .sorting import DEFAULT_SORT_LIMIT, naive_utc, sorted_page

#: Highest code point: a string padded with it sorts after every key sharing its start.
_TOP = "\U0010ffff"
#: Objects asked of the provider per request when folders are summed (S3's page).
BATCH = 1000
#: Objects a by-name page may list to sum its folders (at most the sort limit): ten provider
#: pages, so a page of big folders costs about ten requests more, not a hundred.
FOLDER_SUM_LIMIT = 10_000


def start_after_for(pos: list[Any] | None) -> tuple[str | None, str | None]:
    """``(start_after, at_least)`` for a scan position: ``["gt", k]`` lists after ``k``;
    ``["ge", k]`` lists from ``k`` on, expressed as an exclusive ``start_after`` just below
    ``k`` plus a filter ``at_least`` for the few keys that could lie in between."""
    if pos is None:
        return None, None
    key: str = pos[1]
    if pos[0] == "gt":
        return key, None
    if not key:
        return None, None
    last = ord(key[-1])
    if last == 0:
        return key[:-1], key
    below = last - 1 if last - 1 not in range(0xD800, 0xE000) else 0xD7FF
    return key[:-1] + chr(below) + _TOP * 4, key


def blob_json(b: RemoteBlob) -> str:
    """One listed blob as JSON text (the fields of ``blobs.views.blob_json``)."""
    meta = json.dumps(printable_metadata(b.meta or {}), ensure_ascii=False, separators=(",", ":"))
    when = json_str(iso(b.modified_at) or "")
    return (
        f'{{"key":{json_str(b.key)},"size":{b.size},"etag":{json_str(b.etag)},'
        f'"content_type":{json_str(printable(b.content_type))},"sha256":null,'
        f'"metadata":{meta},"created_at":{when},"modified_at":{when}}}'
    )


def _page_body(
    blobs: list[str],
    prefixes: list[str],
    next_cursor: str | None,
    sums: list[Aggregate] | None = None,
) -> bytes:
    """A ``BlobPage`` JSON body; with ``sums`` (one per prefix), its ``folders`` too."""
    folders = ""
    if sums is not None:
        entries = [folder_json(f, a) for f, a in zip(prefixes, sums, strict=True)]
        folders = f'"folders":[{",".join(entries)}],'
    return (
        f'{{"results":[{",".join(blobs)}],'
        f'"prefixes":{json.dumps(prefixes, ensure_ascii=False)},{folders}'
        f'"next_cursor":{json.dumps(next_cursor)}}}'
    ).encode()


def _seeks(entries: list[tuple[bool, Any]], start: list[Any] | None) -> list[list[Any] | None]:
    """For each folder of a by-name page (``Page.entries``, which began at scan position
    ``start``), the scan position just after the entry before it: listing from there reaches
    the folder's first key past nothing but page entries. (Never "just below the folder":
    a provider that lists a folder's keys before a sibling sorting below ``/``, as SeaweedFS
    does, would skip the folder.)"""
    seeks: list[list[Any] | None] = []
    at = start
    for is_folder, item in entries:
        if is_folder:
            seeks.append(at)
            successor = key_successor(item)
            at = None if successor is None else ["ge", successor]
        else:
            at = ["gt", item.key]
    return seeks


def folder_sums(
    client: ObjectClient,
    root: str,
    scope: str,
    page: Page,
    start: list[Any] | None,
    limit: int,
) -> list[Aggregate]:
    """The aggregate of each folder of ``page`` (a by-name page of the bucket keys starting
    with ``scope``, scanned from position ``start``; the provider keys live under ``root``),
    listing about ``limit`` objects in all and at least :data:`MIN_FOLDER_ROWS` per folder
    (see the module; no request asks for more than the folder being summed may still
    count, so past the budget a big folder lists its allowance, not a provider page).
    Provider errors propagate."""
    folders = page.prefixes
    seeks = _seeks(page.entries, start)
    sums = [Accumulator() for _ in folders]
    complete = [True] * len(folders)
    i, left = 0, limit
    after = start_after_for(seeks[0])[0] if folders else None
    cut = len(root)
    while i < len(folders):
        # No more than folder i may still count (its allowance + 1 shows it past it): once the
        # budget is spent, a big folder costs its allowance, not a whole provider page.
        ask = max(1, min(BATCH, max(left, MIN_FOLDER_ROWS) + 1 - sums[i].count))
        infos = client.list_page(root + scope, None if after is None else root + after, ask)
        for info in infos:
            key = info.key[cut:]
            while i < len(folders) and key > folders[i] and not key.startswith(folders[i]):
                left, i = left - sums[i].count, i + 1  # past folder i
            if i == len(folders):
                break  # past the last folder
            if not key.startswith(folders[i]):
                continue  # one of the page's blobs
            sums[i].add(int(info.size), naive_utc(info.modified_at))
            if sums[i].count > max(left, MIN_FOLDER_ROWS):  # past its allowance: seek on
                complete[i] = False
                left, i = left - sums[i].count, i + 1
                after = start_after_for(seeks[i])[0] if i < len(folders) else None
                break
        else:
            if len(infos) < ask:
                break
            after = infos[-1].key[cut:]
    return [acc.total(done) for acc, done in zip(sums, complete, strict=True)]


def fetcher(client: ObjectClient, root: str, scope: str, origin: str) -> Fetch:
    """A :data:`..scan.Fetch` over the provider keys ``root + scope...`` as bucket records."""

    def fetch(after: list[Any] | None, limit: int) -> list[Any]:
        start_after, at_least = start_after_for(after)
        full_after = None if start_after is None else root + start_after
        rows: list[RemoteBlob] = []
        while True:  # rows below ``at_least`` are dropped: fetch on so a short page means the end
            want = limit - len(rows)
            infos = client.list_page(root + scope, full_after, want)
            for info in infos:
                blob = record(info, root, origin)
                if at_least is None or blob.key >= at_least:
                    rows.append(blob)
            if len(rows) >= limit or len(infos) < want:
                return rows
            full_after = infos[-1].key

    return fetch


def list_page(
    client: ObjectClient,
    root: str,
    origin: str,
    q: ListQuery,
    sort_limit: int = DEFAULT_SORT_LIMIT,
) -> bytes:
    """One listing page of an imported bucket whose keys live under ``root`` (the bucket
    prefix) as the API's JSON body; orders other than ascending names list at most
    ``sort_limit`` objects per page (:mod:`.sorting`). Raises ``Invalid`` for a bad glob, a
    foreign cursor (``bad_cursor``), a delimiter with a size or time order, or a sorted range
    past the limit (``sort_too_large``); provider errors propagate."""
    if q.delimiter and q.glob is not None and q.order_by != "name":
        raise Invalid(
            "invalid_parameter",
            "a delimiter (or recursive=false) with a glob needs order_by=name",
        )
    pattern = compile_glob_param(q.glob)
    if q.order_by != "name" or q.descending:
        found, folders, sums, cursor = sorted_page(
            client, root, origin, q, glob_scope(q.prefix, q.glob), pattern, sort_limit
        )
        return _page_body([blob_json(b) for b in found], folders, cursor, sums)
    pos: list[Any] | None = decode_cursor(q.cursor, 2, q.tag(), (str, str))
    if not name_position_ok(pos, False):
        raise Invalid("bad_cursor", "the cursor is malformed or belongs to another listing")
    scope = glob_scope(q.prefix, q.glob)
    if scope is None:
        return _page_body([], [], None)
    page = Page(q.page_size)
    resume = scan_by_name(fetcher(client, root, scope, origin), q, scope, pattern, page, pos)
    if page.more:
        assert page.last_after is not None
        next_cursor: str | None = encode_cursor(page.last_after, q.tag())
    elif resume is not None:
        next_cursor = encode_cursor(resume, q.tag())
    else:
        next_cursor = None
    sums = None
    if q.delimiter and q.folder_sums and pattern is None:
        budget = min(sort_limit, FOLDER_SUM_LIMIT)
        sums = folder_sums(client, root, scope, page, pos, budget)
    return _page_body([blob_json(b) for b in page.blobs], page.prefixes, next_cursor, sums)
