"""Blob services: find, delete, copy, bulk delete and list blobs of a bucket the caller may
use, through the bucket's backend. Plain values in, domain errors out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_read, bucket_for_write
from ..accounts.bucket_cache import READABLE
from ..accounts.principals import Principal
from ..backends.base import BlobRecord, BucketBackend, ListQuery
from ..backends.conditions import check_preconditions
from ..backends.registry import backend_for
from ..errors import Invalid, NotFound
from ..keys import check_key, check_prefix, key_error
from ..models import Bucket
from ..state import AppState
from ..storage.base import ObjectMissingError
from .validation import check_content_type, check_metadata


def blob_not_found(key: str | None = None) -> NotFound:
    """``NotFound`` for a blob (detail ``blob not found``)."""
    return NotFound("not_found", "blob not found")


def _read_bucket(state: AppState, p: Principal, ref: str) -> Bucket:
    with state.db.session() as s:
        return bucket_for_read(s, p, ref)


def _write_bucket(state: AppState, p: Principal, ref: str) -> Bucket:
    with state.db.session() as s:
        return bucket_for_write(s, p, ref)


async def readable(state: AppState, p: Principal, ref: str) -> BucketBackend:
    """The backend of bucket ``ref`` if the caller may read it (404/401 otherwise). A managed
    bucket's read authorization is kept a couple of seconds (:mod:`..accounts.bucket_cache`):
    a burst of reads then answers without a worker thread hop for the bucket."""
    granted = READABLE.get(p, ref)
    if granted is None:
        granted = await run_in_threadpool(_read_bucket, state, p, ref)
        READABLE.put(p, ref, granted)
    return backend_for(state, granted)


async def writable(state: AppState, p: Principal, ref: str) -> BucketBackend:
    """The backend of bucket ``ref`` if the caller may write to it (403/404/401 otherwise)."""
    return backend_for(state, await run_in_threadpool(_write_bucket, state, p, ref))


async def stat_blob(backend: BucketBackend, key: str) -> BlobRecord:
    """The blob of ``key``, else ``NotFound``."""
    blob = await backend.stat(key)
    if blob is None:
        raise blob_not_found(key)
    return blob


async def check_put(
    backend: BucketBackend, key: str, if_match: str | None, if_none_match: str | None
) -> None:
    """Refuse a write before any byte of it is read: the bucket takes no writes (``Invalid``
    ``not_managed``) or a precondition fails (``PreconditionFailed``; checked again at
    commit)."""
    backend.check_writable()
    if if_match is not None or if_none_match is not None:
        existing = await backend.stat(key)
        check_preconditions(existing.etag if existing else None, if_match, if_none_match)


async def delete_blob(
    state: AppState, p: Principal, ref: str, key: str, *, if_match: str | None = None
) -> None:
    """Delete one blob; ``PreconditionFailed`` if ``if_match`` does not hold, ``NotFound`` if
    it is missing (or deleted by someone else meanwhile)."""
    check_key(key)
    backend = await writable(state, p, ref)
    blob = await stat_blob(backend, key)
    check_preconditions(blob.etag, if_match, None)
    if not await backend.delete([key], if_match=if_match):
        raise blob_not_found(key)


async def copy_blob(
    state: AppState,
    p: Principal,
    ref: str,
    key: str,
    source_key: str,
    *,
    source_bucket: str | None = None,
    overwrite: bool = True,
) -> BlobRecord:
    """Copy ``source_key`` (of ``source_bucket``, default this bucket) to ``key``; with
    ``overwrite=False`` an existing key is ``PreconditionFailed``. If the source is replaced
    while the copy runs, the copy looks it up once more."""
    check_key(source_key, "source_key")
    check_key(key)
    if_none_match = None if overwrite else "*"
    for attempt in (1, 2):
        target = await writable(state, p, ref)
        target.check_writable()
        source = await readable(state, p, source_bucket or ref)
        src = await source.stat(source_key)
        if src is None:
            raise NotFound("not_found", "source blob not found")
        # The copy stores the source's attributes: checked like any write (older rows).
        check_content_type(src.content_type, "the source blob's content_type")
        check_metadata(src.meta or {}, "the source blob's metadata")
        if if_none_match is not None:
            existing = await target.stat(key)
            check_preconditions(existing.etag if existing else None, None, if_none_match)
        try:
            return await target.copy(src, key, if_none_match=if_none_match)
        except ObjectMissingError:  # the source was replaced or deleted meanwhile: look again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass
class DeleteOutcome:
    """Per-key results (``BlobDeleteResult``), how many went and their bytes."""

    results: list[dict[str, Any]]
    deleted: int
    bytes: int


@dataclass
class _Listed:
    key: str
    size: int


async def _keys_under(backend: BucketBackend, prefix: str) -> list[_Listed]:
    """Every blob under ``prefix`` (key and size), in key order (listing pages)."""
    found: list[_Listed] = []
    query = ListQuery(prefix=prefix, page_size=1000)
    while True:
        page = json.loads(await backend.list_blobs(query))
        found += [_Listed(b["key"], b["size"]) for b in page["results"]]
        if page["next_cursor"] is None:
            return found
        query = replace(query, cursor=page["next_cursor"])


def _check_delete_selection(keys: Sequence[str] | None, prefix: str | None) -> None:
    if (keys is None) == (prefix is None):
        raise Invalid("invalid_parameter", "give exactly one of 'keys' or 'prefix'")
    if prefix is not None:
        if prefix == "":
            raise Invalid(
                "empty_prefix",
                "an empty prefix would delete the whole bucket; delete the bucket with force",
            )
        check_prefix(prefix)


async def delete_blobs(
    state: AppState,
    p: Principal,
    ref: str,
    *,
    keys: Sequence[str] | None = None,
    prefix: str | None = None,
    dry_run: bool = False,
) -> DeleteOutcome:
    """Delete the blobs named in ``keys`` (each reported: deleted, ``invalid_key`` or
    ``not_found``), or every blob under a non-empty ``prefix``. ``dry_run`` reports without
    deleting. Blobs deleted by someone else meanwhile are reported ``not_found``."""
    _check_delete_selection(keys, prefix)
    backend = await writable(state, p, ref)
    results: list[dict[str, Any]] = []
    sizes: dict[str, int] = {}
    if keys is not None:
        found = await backend.stat_many([k for k in dict.fromkeys(keys) if key_error(k) is None])
        for k in dict.fromkeys(keys):
            if key_error(k) is not None:
                results.append({"key": k, "deleted": False, "error": "invalid_key"})
            elif k not in found:
                results.append({"key": k, "deleted": False, "error": "not_found"})
            else:
                sizes[k] = found[k].size
                results.append({"key": k, "deleted": True, "error": None})
    else:
        assert prefix is not None
        for blob in await _keys_under(backend, prefix):
            sizes[blob.key] = blob.size
            results.append({"key": blob.key, "deleted": True, "error": None})
    size = sum(sizes.values())
    if not dry_run:
        gone = {b.key: b.size for b in await backend.delete(list(sizes))}
        size = sum(gone.values())
        for r in results:
            if r["deleted"] and r["key"] not in gone:
                r["deleted"], r["error"] = False, "not_found"
    deleted = sum(1 for r in results if r["deleted"])
    return DeleteOutcome(results, deleted, size)


async def list_page(state: AppState, p: Principal, ref: str, query: ListQuery) -> bytes:
    """One listing page (JSON body) of bucket ``ref`` the caller may read."""
    return await (await readable(state, p, ref)).list_blobs(query)
