"""When the parts of one multipart upload start, and how many stream their bytes at once.

Parallel parts pay off on a link where one stream is held back by latency or by a
per-connection rate (a WAN, an object store's front end): there each extra stream adds its
own share. On a fast link (loopback, a LAN) one stream already goes as fast as the client can
read and the server can store, and a second one only splits the CPUs both sides share: on a
server of two worker processes on two cores, a 1 GiB upload with two parts in flight took
0.67 s when their connections landed on two workers and 0.83 s when both landed on one (about
half the runs), against 0.71 s for one stream.

So the first part streams alone until it has sent :data:`PROBE_BYTES` (or
:data:`PROBE_WAIT` passed since its request started: a part not sending yet, queued behind
other files' parts in the shared pool or checking the server's copy of it on a resume, says
nothing of the link). If it went faster than :data:`FAST_STREAM`, the link is fast:
the parts then stream one at a time, each starting its request once the part before it has
only its last :data:`HANDOFF_BYTES` to send (that part's answer may still be on its way, so
the server's commit of one part overlaps the next part's bytes). Else up to ``streams``
parts stream at once, each of the first ones opening its request once the one before it has
moved :data:`RAMP_BYTES` (so a multi-process server's busy worker is not the one that takes
the next connection).

On a fast link the parts still to send may also be merged into fewer, larger ones (the
caller's ``merge``): every part costs the server a fixed commit and the stream a fresh
start, and one stream gains nothing from small parts (1 GiB on loopback, 2 CPUs shared by
client and server: 8 parts of 128 MiB 0.75 s and 0.78 s of server CPU, 2 parts 0.69 s and
0.68 s, 1 part 0.68 s and 0.70 s; medians of 6 alternating runs).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Protocol, TypeVar

from .options import MiB

#: A ramped part (:class:`PartStreams`) opens its request once the one before it has sent
#: this many bytes (or ended)...
RAMP_BYTES = 1 * MiB
#: ...or after this many seconds, whichever comes first.
RAMP_WAIT = 0.5
#: The first part's bytes timed to tell a fast link from a slow one; a first part shorter than
#: this never narrows the upload (its few MiB fit in the sockets' buffers, whatever the link).
PROBE_BYTES = 8 * MiB
#: A first part at least this fast (bytes per second, from its request's start) means a fast
#: link: the parts then stream one at a time.
FAST_STREAM = 256 * MiB
#: A part frees its turn when this many of its bytes are left to send, so the next part's
#: request is on its way while they go: 1 GiB in 8 parts, 4-5 runs alternating on one server,
#: median 0.72-0.86 s with 2 MiB against 1.18-1.24 s when the next part waited for the last
#: byte (on a disk under write pressure; 8 MiB was no better than 2).
HANDOFF_BYTES = 2 * MiB
#: Seconds to wait for the probe: past it the link is slower than :data:`FAST_STREAM` anyway.
PROBE_WAIT = PROBE_BYTES / FAST_STREAM + 0.05

_T = TypeVar("_T")


class Spec(Protocol):
    """A part to send: its length in bytes."""

    @property
    def length(self) -> int: ...


_S = TypeVar("_S", bound=Spec)


class PartStreams:
    """The parts of one upload streaming at once: ``streams`` at most, one once the first part
    showed a fast link (:meth:`narrow`). Thread-safe."""

    def __init__(self, streams: int) -> None:
        self._cond = threading.Condition()
        self._limit = max(1, streams)
        self._busy = 0

    def narrow(self) -> None:
        """From now on one part streams at a time."""
        with self._cond:
            self._limit = 1

    def _enter(self) -> None:
        with self._cond:
            while self._busy >= self._limit:
                self._cond.wait()
            self._busy += 1

    def _leave(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()


class Lane:
    """One part's turn: :meth:`enter` before its request, :meth:`moved` as its bytes go out
    (frees the turn once all have gone), :meth:`end` when the part is over in any way.
    ``began`` is set once its request started (or it ended), ``started`` once it moved its
    ramp's bytes (or ended)."""

    def __init__(self, streams: PartStreams, length: int, ramp: int = RAMP_BYTES) -> None:
        self.started = threading.Event()
        self.began = threading.Event()  # its request started, or it ended
        self._streams = streams
        self._length = length
        self._ramp = min(ramp, length)
        self._moved = 0
        self._held = False
        self._since = 0.0
        self._probed: float | None = None  # seconds the probe's bytes took
        self._over = False

    def enter(self) -> None:
        """Wait for this part's turn to stream (at once while fewer parts stream than the
        limit), before each attempt to send it; no wait while the turn is held (a retry of an
        attempt that failed half-way), but the count of bytes moved starts again either way:
        an attempt sends the part from its start."""
        if not self._held:
            self._streams._enter()
            self._held = True
        self._since = time.monotonic()
        self._moved = 0
        self.began.set()

    def moved(self, amount: int) -> None:
        """Note ``amount`` more bytes sent; frees the turn once all but the part's last
        :data:`HANDOFF_BYTES` have gone."""
        self._moved += amount
        if self._probed is None and self._moved >= PROBE_BYTES:
            self._probed = time.monotonic() - self._since
        if self._moved >= self._ramp:
            self.started.set()
        if self._moved >= self._length - HANDOFF_BYTES:
            self._release()

    def end(self) -> None:
        """The part is over (sent, reused, failed): free its turn, set ``began`` and
        ``started``."""
        self._over = True
        self._release()
        self.began.set()
        self.started.set()

    def unsent(self) -> bool:
        """Whether the part ended without a byte sent (the server's copy was reused, or it
        failed before its body): its speed says nothing of the link."""
        return self._over and self._moved == 0

    def fast(self) -> bool:
        """Whether this part sent :data:`PROBE_BYTES` at :data:`FAST_STREAM` or faster."""
        took = self._probed
        return took is not None and FAST_STREAM * took <= PROBE_BYTES

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._streams._leave()


def submit_parts(
    pool: Executor,
    specs: list[_S],
    send: Callable[[_S, Lane], _T],
    streams: int,
    futures: list[Future[_T]],
    merge: Callable[[list[_S]], list[_S]] | None = None,
) -> list[_S]:
    """Submit ``send(spec, lane)`` for every part, appending each future to ``futures`` (the
    caller's list, so an interruption half-way still finds the parts already started), as the
    module says: the first part sent probes the link (when there are others to send: a part a
    resumed upload reuses sends nothing, so the next one probes; the probe's time counts from
    its request's start, however long the pool or the check of the server's copy made it
    wait); on a fast link the others then stream one at a time (first passed through
    ``merge``, when given, which may join them into fewer parts), else the first ``streams``
    start one after the other and the rest are queued at once (the pool runs ``streams`` at a
    time). Returns the parts submitted, in the order of ``futures``."""
    parts = PartStreams(streams)
    pending = deque(specs)
    submitted: list[_S] = []
    ramp = min(streams, len(pending))
    probing = len(pending) > 1 and (ramp > 1 or merge is not None)
    while pending:
        spec = pending.popleft()
        probe = probing and spec.length >= PROBE_BYTES and bool(pending)
        lane = Lane(parts, spec.length, PROBE_BYTES if probe else RAMP_BYTES)
        future = pool.submit(send, spec, lane)
        futures.append(future)
        submitted.append(spec)
        if probe:
            while not lane.began.wait(0.05) and not future.done():
                pass  # not sending yet: queued in the pool, or checking the server's copy
            lane.started.wait(PROBE_WAIT)
            if lane.fast():
                parts.narrow()
                ramp = 1
                if merge is not None:
                    pending = deque(merge(list(pending)))
            probing = lane.unsent()  # else the link's speed is known: decided
        elif len(submitted) < ramp:
            lane.started.wait(RAMP_WAIT)
    return submitted
