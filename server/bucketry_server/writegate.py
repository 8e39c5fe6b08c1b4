"""One SQLite writer at a time, queued instead of polling.

SQLite admits one write transaction per database; every other writer gets ``SQLITE_BUSY`` and
its busy handler sleeps 1, 2, 5, 10, ... 100 ms between retries. With tens of request threads
in each ``serve --workers`` process writing small transactions, most retries find the lock
taken again, so a writer can sleep for seconds while the lock is free most of the time: the
load benchmark's PUTs had a p99 ten times their median.

:class:`WriteGate` makes the writers wait in line instead: a thread about to begin a write
transaction takes a lock of its process, then an ``flock`` of a file beside the database
(one per process, so two processes queue on the kernel's lock), and releases both when the
transaction ends (commit, rollback or close). A waiter is woken the moment the gate opens.
SQLite's own lock and busy timeout stay underneath, unchanged: a writer outside the gate
(another program on the database) is still serialised by SQLite, and the kernel drops the
``flock`` of a process that dies, so a crash never leaves the gate shut.

Both waits are bounded by the gate's ``timeout`` (30 s). A blocking ``flock`` cannot be given
one, so the thread at the head of its process's line tries ``LOCK_NB`` and sleeps 0.2 ms,
doubling up to 2 ms, between tries: another process's writer that hangs with the lock (or a
stuck network lock) then costs each waiting request a 503 ``busy`` with ``Retry-After``
(:class:`GateBusy`) instead of stalling every write thread of every worker for ever.

:func:`gated_connection_class` returns the ``sqlite3.Connection`` subclass
(``connect_args={"factory": ...}``) that releases the gate, and :func:`open_gate_before_write`
is the SQLAlchemy ``before_cursor_execute`` hook that takes it before the first write of a
transaction (the driver begins a transaction implicitly at that statement; reads before it run
outside any transaction and take no lock).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .errors import Unavailable

#: Statements that make the driver begin a (write) transaction.
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
#: First and longest pause (seconds) between two tries of the lock file held by another process.
POLL_FIRST = 0.0002
POLL_MAX = 0.002
#: Seconds a client refused by a shut gate is told to wait before retrying.
RETRY_AFTER_SECONDS = 5
#: The interpreter's thread switch interval (seconds) while a thread of this process holds the
#: gate. sqlite3 lets go of the GIL in every statement; under load the event loop thread then
#: keeps it for a whole default interval (5 ms) before the writer may go on, so a group of
#: twenty commits held the gate (every process's writes) four to five times as long as its
#: own work. A short interval gives the GIL back to the writer within 0.2 ms.
HELD_SWITCH_INTERVAL = 0.0002


class _ShortSwitches:
    """The process's switch interval is :data:`HELD_SWITCH_INTERVAL` while any gate of it is
    held (two databases have two gates), and whatever it was before once none is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._before = 0.0

    def enter(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._before = sys.getswitchinterval()
                sys.setswitchinterval(min(self._before, HELD_SWITCH_INTERVAL))
            self._holders += 1

    def leave(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                sys.setswitchinterval(self._before)


_SHORT_SWITCHES = _ShortSwitches()


class GateBusy(Unavailable):
    """Another process held the write gate's lock file for the whole timeout (503 ``busy``)."""


class WriteGate:
    """A lock shared by the threads of a process and, through ``path`` (if given), by the
    processes that use the same file. ``timeout``: seconds a thread waits for the threads of
    its own process before going on without the gate (SQLite's busy timeout then applies, as
    without a gate; this bounds a wait on a transaction the same thread holds open)."""

    def __init__(self, path: Path | None, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def acquire(self) -> bool:
        """Wait at most ``timeout`` seconds in all for the gate; True once held, False if the
        threads' lock timed out. Raises :class:`GateBusy` if another process kept the lock
        file until then (this thread then holds nothing)."""
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            return False
        try:
            if self.path is not None:
                self._lock_file(deadline)
        except BaseException:
            self._threads.release()
            raise
        _SHORT_SWITCHES.enter()
        return True

    def _lock_file(self, deadline: float) -> None:
        """Take the lock file's ``flock`` before ``deadline`` (``time.monotonic``), trying
        without blocking between short, growing pauses; raises :class:`GateBusy` after it."""
        fd, pause = self._file(), POLL_FIRST
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise GateBusy(
                    "busy",
                    f"the database is busy: another server process held its write lock for "
                    f"over {self.timeout:g} s; retry later",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            time.sleep(min(pause, left))
            pause = min(pause * 2, POLL_MAX)

    def release(self) -> None:
        """Open the gate for the next writer (of any process)."""
        _SHORT_SWITCHES.leave()
        try:
            if self.path is not None and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self) -> int:
        """This process's descriptor of the lock file (a forked child opens its own: an
        inherited descriptor would share the parent's lock)."""
        if self._fd is None or self._pid != os.getpid():
            assert self.path is not None
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            self._fd, self._pid = os.open(self.path, flags, 0o600), os.getpid()
        return self._fd


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that holds its class's :attr:`gate` from the first write of a
    transaction until the transaction ends."""

    gate: WriteGate
    holds_gate = False

    def take_gate(self) -> None:
        """Wait for the gate before this connection begins a write transaction."""
        if not self.holds_gate:
            self.holds_gate = self.gate.acquire()

    def drop_gate(self) -> None:
        """Release the gate once no transaction is open."""
        if self.holds_gate and not self.in_transaction:
            self.holds_gate = False
            self.gate.release()

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self.drop_gate()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self.drop_gate()

    def close(self) -> None:
        """Close (SQLite rolls back an open transaction) and release the gate if held."""
        try:
            super().close()
        finally:
            if self.holds_gate:
                self.holds_gate = False
                self.gate.release()


def gated_connection_class(gate: WriteGate) -> type[GatedConnection]:
    """A :class:`GatedConnection` subclass bound to ``gate`` (for ``sqlite3.connect(factory=)``)."""
    return type("GatedConnection", (GatedConnection,), {"gate": gate})


def open_gate_before_write(
    conn: Any, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
) -> None:
    """SQLAlchemy ``before_cursor_execute`` hook: before a statement that begins a write
    transaction, wait for the gate."""
    dbapi = conn.connection.dbapi_connection
    if (
        isinstance(dbapi, GatedConnection)
        and not dbapi.in_transaction
        and statement.lstrip()[:7].upper().startswith(WRITE_VERBS)
    ):
        dbapi.take_gate()
