"""What a running operation sees: the protocol every kind is written against.

A kind's code runs without a request (in the engine's worker, in the server process or another
instance sharing the database). It gets an :class:`OpContext` and reports through it; it never
touches the operations table itself.
"""

from __future__ import annotations

from typing import Protocol

from ..accounts.principals import Principal
from ..state import AppState


class OperationCancelled(Exception):
    """Raised by :meth:`OpContext.check` when the operation was cancelled or its lease was lost;
    a kind lets it propagate after cleaning up anything half-written (never a domain error: it
    is not an outcome a caller sees as a problem, the engine records CANCELLED)."""


class OpContext(Protocol):
    """The running operation, as a kind sees it.

    ``state`` is the server's state (database, store, settings, key ring); ``operation_id`` the
    ``op_…`` id; ``params`` the validated parameters recorded at creation.
    """

    state: AppState
    operation_id: str
    params: dict[str, object]
    #: 1 on the first run of the current chunk, 2+ when it is re-run after a lost lease.
    attempt: int

    def principal(self) -> Principal:
        """The owner as a principal, reloaded now: access revoked since the operation started
        is refused like in a request (raises ``Forbidden``/``NotFound``/``Unauthenticated``)."""
        ...

    def set_totals(self, *, items: int | None = None, bytes_total: int | None = None) -> None:
        """Record the totals once known (``None`` leaves a total unknown)."""
        ...

    def add_progress(self, *, items: int = 0, bytes_done: int = 0) -> None:
        """Count finished items and moved bytes (increments; persisted by the heartbeat)."""
        ...

    async def check(self) -> None:
        """Raise :class:`OperationCancelled` if the operation was cancelled or the lease lost.

        Call it between items and at least once per MiB moved, so a cancel stops the work
        within a second.
        """
        ...

    def count(self, **counts: int) -> None:
        """Add to the kind's result counters (``copied=1, bytes=n``...): kept in memory and
        persisted with the next :meth:`checkpoint` (and when the chunk ends), so a re-run chunk neither loses nor
        double-counts them. The operation's result sums them over its chunks."""
        ...

    def set_result(self, result: dict[str, object]) -> None:
        """Record the operation's result as the kind computed it (a kind run as one chunk,
        e.g. through ``adapters.single``); persisted when the chunk ends."""
        ...

    def checkpoint(self, after: str) -> None:
        """Everything of the current chunk up to key ``after`` is done (and counted): a re-run
        of the chunk resumes after it (``ChunkRange.resume_after``). Persisted by the
        heartbeat, at most ~1 s later."""
        ...
