"""Folder browsing of a bucket (``/content``): the files and sub-folders directly under a
prefix, from the catalogue or from a manifest blob listing the keys (parsed once per version,
then cached)."""

from __future__ import annotations

import bisect
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_read
from ..accounts.principals import Principal
from ..backends.base import BlobRecord, BucketBackend
from ..backends.registry import backend_for
from ..errors import Invalid, NotFound
from ..keys import check_key, check_prefix, key_error
from ..models import Blob, Bucket
from ..pagination import decode_cursor, encode_cursor
from ..state import AppState
from ..timeutil import iso

#: A manifest is read whole (then cached by etag); bigger ones are refused.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_DIR_END = chr(ord("/") + 1)  # "0": the first string after every "<dir>/..." key

Row = tuple[str, int | None, datetime | None]
Fetch = Callable[[str, bool, int], list[Row]]


def _browse(
    fetch: Fetch, prefix: str, start: tuple[str, bool] | None, page_size: int
) -> tuple[list[dict[str, Any]], tuple[str, bool] | None]:
    """One page of the folder ``prefix``: files directly in it and sub-folders (each once),
    in key order. ``fetch(bound, strict, limit)`` yields keys under ``prefix`` after ``bound``
    in order; a sub-folder's keys are skipped with one seek. Returns the entries and the
    position to resume at (None on the last page)."""
    bound, strict = start or (prefix, False)
    found: list[tuple[dict[str, Any], tuple[str, bool]]] = []
    batch = min(page_size + 1, 1000)
    while len(found) <= page_size:
        rows = fetch(bound, strict, batch)
        open_dir: str | None = None
        for key, size, modified in rows:
            rest = key[len(prefix) :]
            if open_dir is not None and rest.startswith(open_dir):
                continue
            if len(found) > page_size:
                break
            slash = rest.find("/")
            if slash >= 0:
                open_dir = rest[: slash + 1]
                entry: dict[str, Any] = {
                    "name": open_dir,
                    "type": "DIR",
                    "size": None,
                    "modified_at": None,
                }
                found.append((entry, (prefix + rest[:slash] + _DIR_END, False)))
            else:
                open_dir = None
                entry = {"name": rest, "type": "FILE", "size": size, "modified_at": iso(modified)}
                found.append((entry, (key, True)))
        if len(rows) < batch or len(found) > page_size:
            break
        if open_dir is not None:
            bound, strict = prefix + open_dir[:-1] + _DIR_END, False
        else:
            bound, strict = rows[-1][0], True
    if len(found) > page_size:
        return [e for e, _ in found[:page_size]], found[page_size - 1][1]
    return [e for e, _ in found], None


def _prefix_upper(prefix: str) -> str | None:
    """The first string after every string starting with ``prefix`` (which ends with '/')."""
    return prefix[:-1] + _DIR_END if prefix else None


def _db_fetch(state: AppState, bucket_id: str, prefix: str) -> Fetch:
    upper = _prefix_upper(prefix)

    def fetch(bound: str, strict: bool, limit: int) -> list[Row]:
        stmt = select(Blob.key, Blob.size, Blob.modified_at).where(
            Blob.bucket_id == bucket_id, Blob.key > bound if strict else Blob.key >= bound
        )
        if upper is not None:
            stmt = stmt.where(Blob.key < upper)
        with state.db.session() as s:
            return list(s.execute(stmt.order_by(Blob.key).limit(limit)).all())

    return fetch


def _list_fetch(keys: list[str], prefix: str) -> Fetch:
    upper = _prefix_upper(prefix)

    def fetch(bound: str, strict: bool, limit: int) -> list[Row]:
        i = bisect.bisect_right(keys, bound) if strict else bisect.bisect_left(keys, bound)
        out: list[Row] = []
        for key in keys[i : i + limit]:
            if upper is not None and key >= upper:
                break
            out.append((key, None, None))
        return out

    return fetch


def parse_manifest(data: bytes) -> list[str]:
    """Keys of a manifest: one per line, or JSON Lines with a ``name`` (plus an optional
    ``extension`` as in CVAT manifests). Header lines and invalid keys are skipped."""
    keys: set[str] = set()
    for raw in data.decode("utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line:
            continue
        key: str | None = line
        if line.startswith("{"):
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            key = None
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                key = item["name"]
                ext = item.get("extension")
                if isinstance(ext, str) and ext and not key.endswith(ext):
                    key += ext
        if key is not None and key_error(key) is None:
            keys.add(key)
    return sorted(keys)


class _ManifestCache:
    """The last few parsed manifests, by (bucket id, key, etag): paging re-reads nothing."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str, str], list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> list[str] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, str, str], value: list[str]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_manifests = _ManifestCache()


async def read_blob(backend: BucketBackend, blob: BlobRecord, limit: int) -> bytes:
    """The whole blob (at most ``limit`` bytes, else ``Invalid`` ``too_large``)."""
    first, blocks = await backend.open_read(blob)
    out = bytearray(first)
    try:
        async for chunk in blocks:
            if len(out) > limit:
                break
            out += chunk
    finally:
        aclose = getattr(blocks, "aclose", None)
        if aclose is not None:
            await aclose()
    if len(out) > limit:
        raise Invalid("too_large", f"the object is larger than {limit} bytes")
    return bytes(out)


def _content_token_tag(prefix: str, manifest: str | None) -> str:
    return "cnt:" + hashlib.sha256(f"{prefix}\0{manifest or ''}".encode()).hexdigest()[:16]


def _read_bucket(state: AppState, p: Principal, ref: str) -> Bucket:
    with state.db.session() as s:
        return bucket_for_read(s, p, ref)


def _file_details(
    state: AppState, bucket_id: str, prefix: str, entries: list[dict[str, Any]]
) -> None:
    """Sizes and times of the manifest's files that exist as blobs (one query per page)."""
    keys = [prefix + e["name"] for e in entries if e["type"] == "FILE"]
    if not keys:
        return
    with state.db.session() as s:
        rows = s.execute(
            select(Blob.key, Blob.size, Blob.modified_at).where(
                Blob.bucket_id == bucket_id, Blob.key.in_(keys)
            )
        ).all()
    found = {key: (size, modified) for key, size, modified in rows}
    for e in entries:
        if e["type"] == "FILE" and (hit := found.get(prefix + e["name"])) is not None:
            e["size"], e["modified_at"] = hit[0], iso(hit[1])


async def browse(
    state: AppState,
    p: Principal,
    bucket: str,
    prefix: str = "",
    next_token: str | None = None,
    page_size: int = 100,
    manifest_path: str | None = None,
) -> dict[str, Any]:
    """One page of the folder ``prefix`` (``BucketContent``), from the catalogue or from the
    manifest blob ``manifest_path``. Raises ``Invalid`` (bad prefix, token, manifest too
    large), ``NotFound`` (bucket, manifest)."""
    check_prefix(prefix)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if manifest_path is not None:
        check_key(manifest_path, "manifest_path")
    tag = _content_token_tag(prefix, manifest_path)
    start: tuple[str, bool] | None = None
    values = decode_cursor(next_token, 2, tag)
    if values is not None:
        bound, strict = values
        if not isinstance(bound, str) or not isinstance(strict, bool):
            raise Invalid("bad_cursor", "the next_token is malformed")
        start = (bound, strict)

    if manifest_path is None:

        def from_db() -> tuple[list[dict[str, Any]], tuple[str, bool] | None]:
            with state.db.session() as s:
                bucket_id = bucket_for_read(s, p, bucket).id
            return _browse(_db_fetch(state, bucket_id, prefix), prefix, start, page_size)

        entries, resume = await run_in_threadpool(from_db)
    else:
        bucket_row = await run_in_threadpool(_read_bucket, state, p, bucket)
        bucket_id, backend = bucket_row.id, backend_for(state, bucket_row)
        blob = await backend.stat(manifest_path)
        if blob is None:
            raise NotFound("not_found", f"manifest {manifest_path!r} not found")
        keys = _manifests.get((bucket_id, manifest_path, blob.etag))
        if keys is None:
            if blob.size > MAX_MANIFEST_BYTES:
                raise Invalid(
                    "manifest_too_large",
                    f"manifests are limited to {MAX_MANIFEST_BYTES} bytes",
                )
            data = await read_blob(backend, blob, MAX_MANIFEST_BYTES)
            keys = await run_in_threadpool(parse_manifest, data)
            _manifests.put((bucket_id, manifest_path, blob.etag), keys)
        entries, resume = _browse(_list_fetch(keys, prefix), prefix, start, page_size)
        await run_in_threadpool(_file_details, state, bucket_id, prefix, entries)
    return {
        "prefix": prefix,
        "content": entries,
        "next_token": encode_cursor(list(resume), tag) if resume is not None else None,
    }
