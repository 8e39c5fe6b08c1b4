"""What prefix kinds share: ``bkt://bucket/key`` addresses, the buckets they name (access
checked for the caller, at creation and again in every chunk), listing the keys of one chunk's
range in pages, and the planner that cuts a prefix into ranges."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..accounts.access import bucket_for_read, bucket_for_write
from ..accounts.principals import Principal
from ..backends.base import BucketBackend, ListQuery
from ..backends.registry import backend_for
from ..errors import Invalid
from ..keys import key_error
from ..models import Bucket
from ..pagination import encode_cursor
from ..state import AppState
from .context import OpContext
from .kinds import ChunkRange

SCHEME = "bkt://"
PAGE = 1000


@dataclass(frozen=True)
class BucketPath:
    """A parsed ``bkt://bucket/key``: a prefix (``is_prefix``) when the key is empty or ends
    with ``/``."""

    bucket: str
    key: str

    @property
    def is_prefix(self) -> bool:
        """Whether this names every key under ``key`` rather than one blob."""
        return self.key == "" or self.key.endswith("/")

    def uri(self) -> str:
        """The ``bkt://`` form."""
        return f"{SCHEME}{self.bucket}/{self.key}"


def _bad(field: str, why: str) -> Invalid:
    error = {"loc": ["body", field], "msg": why, "type": "value_error"}
    return Invalid("invalid_parameter", f"{field}: {why}", errors=[error])


def parse_path(value: object, field: str) -> BucketPath:
    """Parse ``bkt://bucket/key`` (or ``bkt://bucket`` for the whole bucket); ``Invalid``
    naming ``field`` for anything else (missing, another scheme, a bad key)."""
    if not isinstance(value, str) or not value:
        raise _bad(field, "required, as bkt://bucket/key or bkt://bucket/prefix/")
    if not value.startswith(SCHEME):
        raise _bad(field, "must be a bkt://bucket/key address")
    bucket, _, key = value[len(SCHEME) :].partition("/")
    if not bucket or "\x00" in bucket or len(bucket) > 100:
        raise _bad(field, "names no bucket (bkt://bucket/key)")
    body = key[:-1] if key.endswith("/") else key
    if body and (problem := key_error(body)):
        raise _bad(field, problem)
    return BucketPath(bucket, key)


def _lookup(state: AppState, p: Principal, ref: str, write: bool) -> Bucket:
    with state.db.session() as s:
        return bucket_for_write(s, p, ref) if write else bucket_for_read(s, p, ref)


async def open_bucket(
    state: AppState, p: Principal, ref: str, *, write: bool
) -> tuple[Bucket, BucketBackend]:
    """Bucket ``ref`` (name or id) and its backend if ``p`` may read it (``write``: write to
    it, and it takes writes); ``NotFound``/``Forbidden``/``Invalid`` (``not_managed``)."""
    bucket = await run_in_threadpool(_lookup, state, p, ref, write)
    backend = backend_for(state, bucket)
    if write:
        backend.check_writable()
    return bucket, backend


def _query(prefix: str, after: str | None) -> ListQuery:
    query = ListQuery(prefix=prefix, page_size=PAGE)
    if after is not None and after >= prefix:
        query = replace(query, cursor=encode_cursor(["gt", after], query.tag()))
    return query


async def listed(
    backend: BucketBackend, prefix: str, after: str | None, last: str | None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Pages of listed blobs (``key``, ``size``, ``etag``...) under ``prefix`` with
    ``after < key <= last`` (None: unbounded), in key order."""
    query = _query(prefix, after)
    while True:
        page = json.loads(await backend.list_blobs(query))
        entries = [e for e in page["results"] if last is None or e["key"] <= last]
        if entries:
            yield entries
        if page["next_cursor"] is None or len(entries) < len(page["results"]):
            return
        query = replace(query, cursor=page["next_cursor"])


async def plan_prefix(
    ctx: OpContext, backend: BucketBackend, prefix: str, after: str | None
) -> AsyncIterator[ChunkRange]:
    """Cut the keys under ``prefix`` after ``after`` into ranges of about
    ``operation_chunk_items`` keys or ``operation_chunk_bytes`` bytes (one listing pass); the
    last range is open at the end."""
    settings = ctx.state.settings
    start, items, size = after, 0, 0
    async for page in listed(backend, prefix, after, None):
        await ctx.check()
        for entry in page:
            items += 1
            size += int(entry.get("size") or 0)
            if items >= settings.operation_chunk_items or size >= settings.operation_chunk_bytes:
                yield ChunkRange(start, entry["key"], items, size)
                start, items, size = entry["key"], 0, 0
    yield ChunkRange(start, None, items, size)
