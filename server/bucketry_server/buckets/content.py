"""Folder browsing of a bucket (``/content``): the files and sub-folders directly under a
prefix, from the bucket's listing (delimiter ``/``) or from a manifest blob listing the keys
(parsed once per version, then cached). Both use the one skip-scan (:mod:`..backends.scan`)."""

from __future__ import annotations

import hashlib
import heapq
import json
import mimetypes
import threading
from collections import OrderedDict
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_read
from ..accounts.principals import Principal
from ..backends.base import BlobRecord, BucketBackend, ListQuery
from ..backends.registry import backend_for
from ..backends.scan import Page, list_fetch, name_position_ok, scan_by_name
from ..errors import Invalid, NotFound
from ..keys import check_key, check_prefix, key_error
from ..models import Bucket
from ..pagination import decode_cursor, encode_cursor
from ..state import AppState
from ..timeutil import iso

#: A manifest is read whole (then cached by etag); bigger ones are refused.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


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


async def _file_details(backend: BucketBackend, prefix: str, entries: list[dict[str, Any]]) -> None:
    """Sizes and times of the manifest's files that exist as blobs (one lookup per page)."""
    keys = [prefix + e["name"] for e in entries if e["type"] == "FILE"]
    if not keys:
        return
    found = await backend.stat_many(keys)
    for e in entries:
        if e["type"] == "FILE" and (hit := found.get(prefix + e["name"])) is not None:
            e["size"], e["modified_at"] = hit.size, iso(hit.modified_at)


def _dir(name: str) -> dict[str, Any]:
    return {"name": name, "type": "DIR", "size": None, "modified_at": None, "mime_type": None}


def _file(name: str, size: int | None, modified_at: str | None) -> dict[str, Any]:
    """A file entry; its ``mime_type`` is guessed from the name (None if unknown)."""
    mime, _ = mimetypes.guess_type(name, strict=False)
    return {
        "name": name,
        "type": "FILE",
        "size": size,
        "modified_at": modified_at,
        "mime_type": mime,
    }


async def _from_listing(
    backend: BucketBackend, prefix: str, next_token: str | None, page_size: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A folder page from the backend's listing with delimiter ``/``: files and folders
    merged back into key order (the order the skip-scan met them)."""
    query = ListQuery(
        prefix=prefix, delimiter="/", page_size=page_size, cursor=next_token, folder_sums=False
    )
    page = json.loads(await backend.list_blobs(query))
    files = [
        (
            b["key"],
            _file(b["key"][len(prefix) :], b["size"], b["modified_at"]),
        )
        for b in page["results"]
    ]
    folders = [(f, _dir(f[len(prefix) :])) for f in page["prefixes"]]
    merged = heapq.merge(files, folders, key=lambda item: item[0])
    return [entry for _, entry in merged], page["next_cursor"]


async def _manifest_keys(backend: BucketBackend, bucket_id: str, manifest_path: str) -> list[str]:
    """The keys the manifest lists (parsed once per manifest version)."""
    blob = await backend.stat(manifest_path)
    if blob is None:
        raise NotFound("not_found", f"manifest {manifest_path!r} not found")
    keys = _manifests.get((bucket_id, manifest_path, blob.etag))
    if keys is None:
        if blob.size > MAX_MANIFEST_BYTES:
            raise Invalid(
                "manifest_too_large", f"manifests are limited to {MAX_MANIFEST_BYTES} bytes"
            )
        data = await read_blob(backend, blob, MAX_MANIFEST_BYTES)
        keys = await run_in_threadpool(parse_manifest, data)
        _manifests.put((bucket_id, manifest_path, blob.etag), keys)
    return keys


async def _from_manifest(
    backend: BucketBackend,
    bucket_id: str,
    manifest_path: str,
    prefix: str,
    next_token: str | None,
    page_size: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """A folder page of the keys a manifest lists (the same skip-scan, over the key list)."""
    tag = _content_token_tag(prefix, manifest_path)
    pos = decode_cursor(next_token, 2, tag, (str, str), name="next_token")
    if not name_position_ok(pos, False):
        raise Invalid("bad_cursor", "the next_token is malformed")
    keys = await _manifest_keys(backend, bucket_id, manifest_path)
    page = Page(page_size)
    query = ListQuery(prefix=prefix, delimiter="/", page_size=page_size)
    resume = scan_by_name(list_fetch(keys, prefix), query, prefix, None, page, pos)
    entries = [
        _dir(item[len(prefix) :]) if is_dir else _file(item.key[len(prefix) :], None, None)
        for is_dir, item in page.entries
    ]
    await _file_details(backend, prefix, entries)
    after = page.last_after if page.more else resume
    return entries, encode_cursor(after, tag) if after is not None else None


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
    bucket_row = await run_in_threadpool(_read_bucket, state, p, bucket)
    backend = backend_for(state, bucket_row)
    if manifest_path is None:
        entries, token = await _from_listing(backend, prefix, next_token, page_size)
    else:
        entries, token = await _from_manifest(
            backend, bucket_row.id, manifest_path, prefix, next_token, page_size
        )
    return {"prefix": prefix, "content": entries, "next_token": token}


def _read_bucket(state: AppState, p: Principal, ref: str) -> Bucket:
    with state.db.session() as s:
        return bucket_for_read(s, p, ref)
