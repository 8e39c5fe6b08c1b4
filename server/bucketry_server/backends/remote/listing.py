"""Listings of imported buckets: the skip-scan of :mod:`..scan` over a provider's flat,
key-ordered listing (``ObjectClient.list_page``), with the same cursors as managed buckets.

Providers list by key only, ascending: ``order_by=name`` ascending is served here at any size
(folders by delimiter, glob, prefix, cursors); size and time orders and descending name order
are a bounded scan of the range per page (:mod:`.sorting`).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as json_str
from typing import Any

from ...errors import Invalid
from ...jsontext import printable, printable_metadata
from ...pagination import decode_cursor, encode_cursor
from ...timeutil import iso
from ..base import ListQuery
from ..scan import Fetch, Page, compile_glob_param, glob_scope, name_position_ok, scan_by_name
from .client import ObjectClient
from .records import RemoteBlob, record
from .sorting import DEFAULT_SORT_LIMIT, sorted_page

#: Highest code point: a string padded with it sorts after every key sharing its start.
_TOP = "\U0010ffff"


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


def _page_body(blobs: list[str], prefixes: list[str], next_cursor: str | None) -> bytes:
    return (
        f'{{"results":[{",".join(blobs)}],'
        f'"prefixes":{json.dumps(prefixes, ensure_ascii=False)},'
        f'"next_cursor":{json.dumps(next_cursor)}}}'
    ).encode()


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
    if q.delimiter and q.order_by != "name":
        raise Invalid("invalid_parameter", "a delimiter (or recursive=false) needs order_by=name")
    pattern = compile_glob_param(q.glob)
    if q.order_by != "name" or q.descending:
        found, folders, cursor = sorted_page(
            client, root, origin, q, glob_scope(q.prefix, q.glob), pattern, sort_limit
        )
        return _page_body([blob_json(b) for b in found], folders, cursor)
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
    return _page_body([blob_json(b) for b in page.blobs], page.prefixes, next_cursor)
