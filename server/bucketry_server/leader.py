"""Which one of a server's worker processes runs the singletons (the janitor, and on SQLite the
operation workers): the one holding an exclusive lock on ``DATA_DIR/leader.lock``.

``bucketry-server serve --workers N`` runs N processes on one data folder. Work that must run
once (expiring uploads, retrying dead objects) or that SQLite cannot share across processes
(operation workers that claim rows) asks :meth:`Leadership.try_acquire`: the first process to
ask holds the lock until it exits (the kernel drops it if the process dies, so the next asker
takes over). The lock is ``flock`` on an open file description, so two ``Leadership`` objects
exclude each other even inside one process (tests rely on it).
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

LOCK_FILE = "leader.lock"


class Leadership:
    """Leadership of one data folder among the processes serving it."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (never waits); True if this object holds it now.
        The leader's pid is written into the file for operators. Raises ``OSError`` only if
        the lock file cannot be created at all."""
        with self._mutex:
            if self._fd is not None:
                return True
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return True

    def release(self) -> None:
        """Give the lock up (at shutdown); another process may take it from then on."""
        with self._mutex:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None


def may_run_operation_workers(database_url: str, leadership: Leadership | None) -> bool:
    """Whether this process may run operation workers: on PostgreSQL every worker process
    may (rows are claimed with row locks), on SQLite only the leader (``None``: this process
    is the only one, so yes)."""
    if not database_url.startswith("sqlite"):
        return True
    return leadership is None or leadership.try_acquire()
