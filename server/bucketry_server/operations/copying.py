"""COPY: one blob or a whole prefix, within or across buckets, managed or imported, on the
server (bytes never pass through the client).

Between managed buckets (one store) and within one provider bucket the backend copies the
object itself; otherwise the source is streamed into the destination's atomic write (a
cancelled or failed stream leaves nothing). ``overwrite=false`` skips keys that exist. A
re-run chunk skips keys already holding the same content (counted as copied: the earlier run
copied them).

Request: ``source`` and ``destination`` (``bkt://bucket/key``, or ``bkt://bucket/prefix/`` for
a prefix; a blob copied to ``…/`` keeps its name), ``overwrite`` (default true).
Result: ``{"copied": n, "skipped": n, "bytes": n}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from ..accounts.principals import Principal
from ..backends.base import BlobRecord, BucketBackend, WriteSpec
from ..errors import Invalid, NotFound
from ..faults import crash_point
from ..state import AppState
from ..storage.base import Expected, ObjectMissingError
from .context import OpContext
from .keyspace import BucketPath, listed, open_bucket, parse_path, plan_prefix
from .kinds import ChunkRange, Kind, register

MiB = 1024 * 1024
#: Blobs copied between managed buckets per commit (a cancel is seen between two groups).
GROUP = 100


async def validate(state: AppState, p: Principal, request: dict[str, Any]) -> dict[str, Any]:
    """Check the addresses, that the source exists and is readable and the destination
    writable; the recorded parameters."""
    src = parse_path(request.get("source"), "source")
    dst = parse_path(request.get("destination"), "destination")
    overwrite = request.get("overwrite", True)
    if not isinstance(overwrite, bool):
        raise Invalid("invalid_parameter", "overwrite: must be a boolean")
    if src.is_prefix and not dst.is_prefix:
        raise Invalid(
            "invalid_parameter",
            "destination: a prefix is copied to a prefix (end it with '/': bkt://bucket/dir/)",
        )
    source_bucket, source = await open_bucket(state, p, src.bucket, write=False)
    target_bucket, _ = await open_bucket(state, p, dst.bucket, write=True)
    if src.is_prefix and source_bucket.id == target_bucket.id and dst.key.startswith(src.key):
        raise Invalid(
            "overlapping_prefixes",
            "destination: inside the source prefix (the copy would copy its own copies)",
        )
    if not src.is_prefix and await source.stat(src.key) is None:
        raise NotFound("not_found", f"source: blob {src.key!r} not found")
    return {
        "source": src.uri(),
        "destination": dst.uri(),
        "overwrite": overwrite,
        "_source_bucket": source_bucket.id,
        "_destination_bucket": target_bucket.id,
    }


def _paths(params: Mapping[str, Any]) -> tuple[BucketPath, BucketPath]:
    return parse_path(params["source"], "source"), parse_path(params["destination"], "destination")


def _target_key(src: BucketPath, dst: BucketPath, key: str) -> str:
    if src.is_prefix:
        return dst.key + key[len(src.key) :]
    return dst.key + key.rsplit("/", 1)[-1] if dst.is_prefix else dst.key


async def plan(ctx: OpContext, after: str | None) -> AsyncIterator[ChunkRange]:
    """One open range for a blob; ranges of the source prefix's keys otherwise."""
    src, _ = _paths(ctx.params)
    if not src.is_prefix:
        yield ChunkRange()
        return
    _, source = await open_bucket(ctx.state, ctx.principal(), _bucket(ctx, "source"), write=False)
    async for rng in plan_prefix(ctx, source, src.key, after):
        yield rng


def _bucket(ctx: OpContext, which: str) -> str:
    return str(ctx.params[f"_{which}_bucket"])


def _same(a: BlobRecord, b: BlobRecord) -> bool:
    if a.size != b.size:
        return False
    if a.sha256 and b.sha256:
        return a.sha256 == b.sha256
    return a.etag == b.etag


async def _stream(ctx: OpContext, source: BucketBackend, blob: BlobRecord) -> AsyncIterator[bytes]:
    first, rest = await source.open_read(blob)
    since_check = 0
    if first:
        ctx.add_progress(bytes_done=len(first))
        yield first
    async for block in rest:
        since_check += len(block)
        if since_check >= MiB:
            await ctx.check()
            crash_point("operation.copy.streaming")  # durability tests: killed mid-stream
            since_check = 0
        ctx.add_progress(bytes_done=len(block))
        yield block


async def _copy_one(
    ctx: OpContext, source: BucketBackend, target: BucketBackend, blob: BlobRecord, key: str
) -> None:
    """Copy ``blob`` to ``key`` of ``target`` (server-side when the backends can)."""
    if_none_match = None if ctx.params.get("overwrite", True) else "*"
    if not source.imported and not target.imported:
        await target.copy(blob, key, if_none_match=if_none_match)
        ctx.add_progress(bytes_done=blob.size)
        return
    if source.imported and target.imported and source.provider == target.provider:
        try:
            await target.copy(blob, key, if_none_match=if_none_match)
            ctx.add_progress(bytes_done=blob.size)
            return
        except Invalid as exc:
            if exc.code != "cross_provider_copy":
                raise
    # A managed source's SHA-256 is the server's own: the write verifies the copy against it.
    expected = Expected(sha256_hex=blob.sha256) if not source.imported else Expected()
    spec = WriteSpec(
        blob.content_type, dict(blob.meta or {}), expected, if_none_match=if_none_match
    )
    await target.write(key, _stream(ctx, source, blob), spec)


def _settled(ctx: OpContext, blob: BlobRecord, existing: BlobRecord | None) -> bool:
    """Count a blob that needs no copy (skipped, or already there); False if it must be
    copied."""
    if existing is not None and not ctx.params.get("overwrite", True):
        if ctx.attempt > 1 and _same(blob, existing):
            ctx.count(copied=1, bytes=blob.size)  # most likely our own interrupted run
        else:
            ctx.count(skipped=1)
    elif existing is not None and _same(blob, existing):
        ctx.count(copied=1, bytes=blob.size)  # already there: nothing to move
    else:
        return False
    ctx.add_progress(bytes_done=blob.size)
    return True


async def _copy_counted(
    ctx: OpContext, source: BucketBackend, target: BucketBackend, blob: BlobRecord, key: str
) -> None:
    """Copy one blob and count it; a source replaced meanwhile is copied in its new version
    (once), one deleted meanwhile is passed over."""
    for attempt in (1, 2):
        try:
            await _copy_one(ctx, source, target, blob, key)
            ctx.count(copied=1, bytes=blob.size)
            return
        except ObjectMissingError:
            fresh = await source.stat(blob.key)
            if fresh is None or attempt == 2:
                return
            blob = fresh


async def _one(
    ctx: OpContext,
    source: BucketBackend,
    target: BucketBackend,
    blob: BlobRecord,
    key: str,
    existing: BlobRecord | None,
) -> None:
    """Copy one blob or skip it; counts it and checkpoints after it."""
    if not _settled(ctx, blob, existing):
        await _copy_counted(ctx, source, target, blob, key)
    ctx.add_progress(items=1)
    ctx.checkpoint(blob.key)


async def _group(
    ctx: OpContext,
    source: BucketBackend,
    target: BucketBackend,
    group: list[tuple[BlobRecord, str, BlobRecord | None]],
) -> None:
    """Copy a group of blobs between managed buckets with one commit; counts them and
    checkpoints after the last."""
    todo = [(blob, key) for blob, key, existing in group if not _settled(ctx, blob, existing)]
    if todo:
        overwrite = bool(ctx.params.get("overwrite", True))
        try:
            copied = await target.copy_many(todo, overwrite=overwrite)
        except ObjectMissingError:  # a source changed meanwhile: one at a time
            for blob, key in todo:
                await ctx.check()
                await _copy_counted(ctx, source, target, blob, key)
        else:
            for (blob, _), record in zip(todo, copied, strict=True):
                if record is None:
                    ctx.count(skipped=1)
                else:
                    ctx.count(copied=1, bytes=blob.size)
                ctx.add_progress(bytes_done=blob.size)
    ctx.add_progress(items=len(group))
    ctx.checkpoint(group[-1][0].key)


async def run_chunk(ctx: OpContext, chunk: ChunkRange) -> None:
    """Copy the blob, or the source keys of ``chunk`` (from its checkpoint on)."""
    src, dst = _paths(ctx.params)
    p = ctx.principal()  # access is checked again, as it stands now
    _, source = await open_bucket(ctx.state, p, _bucket(ctx, "source"), write=False)
    _, target = await open_bucket(ctx.state, p, _bucket(ctx, "destination"), write=True)
    if not src.is_prefix:
        blob = await source.stat(src.key)
        if blob is None:
            raise NotFound("not_found", f"source: blob {src.key!r} not found")
        ctx.set_totals(items=1, bytes_total=blob.size)
        key = _target_key(src, dst, src.key)
        await _one(ctx, source, target, blob, key, await target.stat(key))
        return
    grouped = not source.imported and not target.imported  # one store: links, one commit
    async for page in listed(source, src.key, chunk.start(), chunk.last):
        await ctx.check()
        keys = [entry["key"] for entry in page]
        blobs = await source.stat_many(keys)
        targets = {k: _target_key(src, dst, k) for k in keys}
        existing = await target.stat_many(list(targets.values()))
        found = [(blobs[k], targets[k], existing.get(targets[k])) for k in keys if k in blobs]
        if grouped:
            for start in range(0, len(found), GROUP):
                await ctx.check()
                await _group(ctx, source, target, found[start : start + GROUP])
            continue
        for blob, key, there in found:
            await ctx.check()
            await _one(ctx, source, target, blob, key, there)


def finish(params: Mapping[str, Any], counts: Mapping[str, int]) -> dict[str, Any]:
    """``{"copied", "skipped", "bytes"}``."""
    return {name: int(counts.get(name, 0)) for name in ("copied", "skipped", "bytes")}


COPY = register(Kind("COPY", validate=validate, run_chunk=run_chunk, plan=plan, finish=finish))
