"""The kind registry: what each operation kind does, registered by name.

A kind is three functions the engine calls at fixed moments, all written against
:class:`~.context.OpContext` (never the operations table):

``validate(state, principal, request) -> params``
    At creation, inside the request, **before the row exists**. ``request`` holds the
    ``OperationCreate`` fields the client sent (``source``, ``destination``, ``url``,
    ``part_size_mb``, ``overwrite``, ``dry_run``, ...; unset ones absent or None). Check
    everything that can be checked now (buckets exist, the caller may read the source and write
    the destination, keys and URLs are valid) and raise a :class:`~..errors.DomainError` naming
    the bad parameter; nothing is stored then. Return the parameters to record (JSON values
    only: plain ids and keys, never a secret); the engine stores them as ``params`` and gives
    them back as ``ctx.params``.

``plan(ctx, after) -> async iterator of ChunkRange`` (optional)
    In a worker, once, before any chunk runs: split the work into key ranges (list the keys
    once, in pages, cut a range every ~1000 keys or ~1 GiB). ``after`` is where a planner that
    was interrupted resumes (the ``last`` of the range it yielded last; None at first). Each
    yielded range is stored at once, so workers start on it while planning goes on. A kind
    without a planner (one URL, one blob) gets one chunk with an open range.

``run_chunk(ctx, chunk) -> None``
    In a worker, for one range; possibly again after a crash (``ctx.attempt`` > 1), so it must
    be idempotent and should resume after ``chunk.resume_after`` (the last checkpoint). Call
    ``await ctx.check()`` between items and at least once per MiB, ``ctx.add_progress`` as
    work is done, ``ctx.count(name=n)`` for the result counters and ``ctx.checkpoint(key)``
    once everything up to ``key`` is done (counts are persisted together with the
    checkpoint, so a re-run neither loses nor double-counts them). A ``DomainError`` fails
    the operation with its code and detail; ``OperationCancelled`` ends it CANCELLED.

``finish(params, counts) -> result`` (optional)
    The operation's ``result`` from the summed counters of all chunks (default: the result a
    one-chunk kind recorded with ``ctx.set_result``, else the counters).

Kinds written as one call (``run(ctx) -> result``) or over a list of keys
(``run(ctx, keys) -> counts``) are wrapped by :mod:`.adapters` (``single``, ``keyed``).

Registering (at import of the kind's module; ``operations/__init__`` imports the built-in
ones)::

    register(Kind("IMPORT_URL", validate=validate, run_chunk=run))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..accounts.principals import Principal
from ..errors import NotServed
from ..state import AppState
from .context import OpContext


@dataclass(frozen=True)
class ChunkRange:
    """One piece of an operation: the keys ``k`` with ``after < k <= last`` (None: unbounded).

    ``items`` and ``bytes`` are the planner's counts for the range when known (they add up to
    the operation's totals). ``resume_after`` is set by the engine when the chunk runs: the
    key of its last checkpoint (None: from the start of the range)."""

    after: str | None = None
    last: str | None = None
    items: int | None = None
    bytes: int | None = None
    resume_after: str | None = None

    def start(self) -> str | None:
        """Where the chunk's work starts: its last checkpoint, else the range's lower bound."""
        return self.resume_after if self.resume_after is not None else self.after

    def contains(self, key: str) -> bool:
        """Whether ``key`` belongs to this range."""
        return (self.after is None or key > self.after) and (self.last is None or key <= self.last)


Validate = Callable[[AppState, Principal, dict[str, Any]], Awaitable[dict[str, Any]]]
Plan = Callable[[OpContext, str | None], AsyncIterator[ChunkRange]]
RunChunk = Callable[[OpContext, ChunkRange], Awaitable[None]]
Finish = Callable[[Mapping[str, Any], Mapping[str, int]], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """An operation kind: its API name (``OperationKind``) and its functions (see the module
    docstring for when each runs and what it may raise)."""

    name: str
    validate: Validate
    run_chunk: RunChunk
    plan: Plan | None = None
    finish: Finish | None = None

    def result(
        self,
        params: Mapping[str, Any],
        counts: Mapping[str, int],
        results: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The operation's result: ``finish`` of the summed chunk counters if the kind has
        one, else the result a one-chunk kind recorded (``ctx.set_result``), else the
        counters."""
        if self.finish is not None:
            return self.finish(params, counts)
        if results:
            return results[0] if len(results) == 1 else {"chunks": results}
        return dict(counts)


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make ``kind`` available under ``kind.name``; returns it (usable at module level).

    Raises ``ValueError`` if another kind already has that name (registering the same object
    twice, e.g. on a module reload, is allowed)."""
    current = _KINDS.get(kind.name)
    if current is not None and current is not kind and current != kind:
        raise ValueError(f"operation kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind:
    """The kind registered as ``name``; raises ``NotServed`` (501 ``not_implemented``, naming
    the kind) when none is: a kind of the contract this server does not run yet."""
    kind = _KINDS.get(name)
    if kind is None:
        raise NotServed("not_implemented", f"kind: operations of kind {name!r} are not served yet")
    return kind


def registered() -> list[str]:
    """The names of the registered kinds, sorted."""
    return sorted(_KINDS)
