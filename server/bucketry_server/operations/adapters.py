"""Kinds written in other shapes, wrapped as registry :class:`~.kinds.Kind`s.

``single(name, validate, run)``
    ``run(ctx) -> dict`` does the whole operation in one call and returns its result (e.g.
    IMPORT_URL). It runs as one chunk; its result becomes the operation's. A re-run after a
    lost lease starts over (the kind's write must be atomic, so a half-done run left nothing).

``keyed(name, validate, run, locate)``
    ``run(ctx, keys) -> dict`` handles a list of source keys (``None``: everything, for a
    single-blob source) and returns integer counters (e.g. EXPORT: exported, bytes, skipped).
    ``locate(params) -> (bucket, prefix)`` names the source: a prefix is planned into key
    ranges like COPY (chunks spread over workers and instances), and each chunk's keys are
    listed and handed to ``run`` in batches of :data:`BATCH` keys, each followed by a
    checkpoint that persists the batch's counters: a chunk re-run after a crash resumes after
    the last whole batch (only the interrupted batch is redone), so its counters are neither
    lost nor counted twice. A single blob (``prefix`` None) is one chunk. The counters of all
    chunks are summed into the result.

Wiring a kind module is then one line in :mod:`.builtin`, e.g.::

    register(single("IMPORT_URL", url_import.validate_import_url, url_import.run_import_url))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from .context import OpContext
from .keyspace import listed, open_bucket, plan_prefix
from .kinds import ChunkRange, Kind, Validate

RunOnce = Callable[[OpContext], Awaitable[dict[str, Any]]]
RunKeys = Callable[[OpContext, Sequence[str] | None], Awaitable[dict[str, Any]]]
#: The source of a keyed kind from its recorded params: (bucket id or name, prefix); a
#: prefix of None means a single blob (one chunk, ``keys=None``).
#: Keys handed to a keyed kind's ``run`` at once; a checkpoint (with the batch's counters)
#: follows each batch, so a chunk re-run after a crash resumes after the last whole batch.
BATCH = 32
Locate = Callable[[Mapping[str, Any]], tuple[str, str | None]]


def _count(ctx: OpContext, counts: Mapping[str, Any]) -> None:
    """Add the integer values of a keyed run's result to the chunk's counters."""
    ints = {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}
    ctx.count(**ints)


def single(name: str, validate: Validate, run: RunOnce) -> Kind:
    """A kind that runs as one call returning its result (see the module)."""

    async def run_chunk(ctx: OpContext, chunk: ChunkRange) -> None:
        ctx.set_result(await run(ctx))

    return Kind(name, validate=validate, run_chunk=run_chunk)


def keyed(name: str, validate: Validate, run: RunKeys, locate: Locate) -> Kind:
    """A kind that handles lists of source keys, planned into key ranges (see the module)."""

    async def plan(ctx: OpContext, after: str | None) -> AsyncIterator[ChunkRange]:
        bucket, prefix = locate(ctx.params)
        if prefix is None:
            yield ChunkRange()
            return
        _, source = await open_bucket(ctx.state, ctx.principal(), bucket, write=False)
        async for rng in plan_prefix(ctx, source, prefix, after):
            yield rng

    async def run_chunk(ctx: OpContext, chunk: ChunkRange) -> None:
        bucket, prefix = locate(ctx.params)
        if prefix is None:
            _count(ctx, await run(ctx, None))
            return
        _, source = await open_bucket(ctx.state, ctx.principal(), bucket, write=False)
        async for page in listed(source, prefix, chunk.start(), chunk.last):
            await ctx.check()
            keys = [entry["key"] for entry in page]
            for at in range(0, len(keys), BATCH):
                batch = keys[at : at + BATCH]
                _count(ctx, await run(ctx, batch))
                ctx.checkpoint(batch[-1])  # persists the batch's counts with it

    return Kind(name, validate=validate, run_chunk=run_chunk, plan=plan)
