"""DELETE_PREFIX: every blob under a prefix, recursively, in chunks (naturally idempotent: a
re-run deletes what is left). ``dry_run`` counts what would go and deletes nothing.

Request: ``source`` (``bkt://bucket/prefix/``, a non-empty prefix ending in ``/``), ``dry_run``
(default false). Result: ``{"dry_run": bool, "matched": n, "deleted": n, "bytes": n}``
(``matched``: blobs found under the prefix; ``deleted`` is 0 in a dry run; ``bytes``: of the
deleted blobs, or of the matched ones in a dry run).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from ..accounts.principals import Principal
from ..errors import Invalid
from ..state import AppState
from .context import OpContext
from .keyspace import listed, open_bucket, parse_path, plan_prefix
from .kinds import ChunkRange, Kind, register

#: Keys deleted per backend call (a cancel is seen between two calls).
BATCH = 100


async def validate(state: AppState, p: Principal, request: dict[str, Any]) -> dict[str, Any]:
    """A non-empty ``/``-terminated prefix of a bucket the caller may write to."""
    src = parse_path(request.get("source"), "source")
    dry_run = request.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise Invalid("invalid_parameter", "dry_run: must be a boolean")
    if src.key == "":
        raise Invalid(
            "empty_prefix",
            "source: an empty prefix would delete the whole bucket; delete the bucket instead",
        )
    if not src.key.endswith("/"):
        raise Invalid(
            "invalid_parameter",
            "source: DELETE_PREFIX takes a prefix ending in '/' (bkt://bucket/prefix/)",
        )
    bucket, _ = await open_bucket(state, p, src.bucket, write=True)
    return {"source": src.uri(), "dry_run": dry_run, "_bucket": bucket.id}


async def plan(ctx: OpContext, after: str | None) -> AsyncIterator[ChunkRange]:
    """Ranges of the prefix's keys."""
    src = parse_path(ctx.params["source"], "source")
    _, backend = await open_bucket(
        ctx.state, ctx.principal(), str(ctx.params["_bucket"]), write=True
    )
    async for rng in plan_prefix(ctx, backend, src.key, after):
        yield rng


async def run_chunk(ctx: OpContext, chunk: ChunkRange) -> None:
    """Delete (or, dry, count) the keys of ``chunk`` from its checkpoint on, a page at a time."""
    src = parse_path(ctx.params["source"], "source")
    dry_run = bool(ctx.params.get("dry_run"))
    _, backend = await open_bucket(
        ctx.state, ctx.principal(), str(ctx.params["_bucket"]), write=True
    )
    async for page in listed(backend, src.key, chunk.start(), chunk.last):
        await ctx.check()
        for start in range(0, len(page), BATCH):
            await ctx.check()
            batch = page[start : start + BATCH]
            sizes = {entry["key"]: int(entry.get("size") or 0) for entry in batch}
            if dry_run:
                ctx.count(matched=len(sizes), bytes=sum(sizes.values()))
            else:
                gone = await backend.delete(list(sizes))
                ctx.count(matched=len(sizes), deleted=len(gone), bytes=sum(b.size for b in gone))
            ctx.add_progress(items=len(sizes), bytes_done=sum(sizes.values()))
            ctx.checkpoint(batch[-1]["key"])


def finish(params: Mapping[str, Any], counts: Mapping[str, int]) -> dict[str, Any]:
    """``{"dry_run", "matched", "deleted", "bytes"}``."""
    result: dict[str, Any] = {"dry_run": bool(params.get("dry_run"))}
    for name in ("matched", "deleted", "bytes"):
        result[name] = int(counts.get(name, 0))
    return result


DELETE_PREFIX = register(
    Kind("DELETE_PREFIX", validate=validate, run_chunk=run_chunk, plan=plan, finish=finish)
)
