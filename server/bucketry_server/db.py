"""Engine, sessions and schema migrations (Alembic, run programmatically at start-up)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .security import private_file
from .writegate import WriteGate, gated_connection_class, open_gate_before_write

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, busy_timeout: float = 30.0, gate: WriteGate | None = None) -> Engine:
    """SQLite gets WAL, a busy timeout, foreign keys and a write gate (writers of every
    process queue for the write lock instead of polling for it, :mod:`.writegate`); other
    databases a modest pool. ``busy_timeout``: seconds a SQLite statement waits for a lock
    held outside this process's gate before failing with "database is locked". ``gate``: the
    SQLite write gate to use (its ``path`` is set here; default: one with a 30 s timeout).

    A new SQLite database file is created mode 0600 (its WAL and shared-memory files follow).
    """
    if url.startswith("sqlite"):
        database = make_url(url).database
        gate = gate or WriteGate(None)
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(Path(database))
            gate.path = Path(database + "-writegate")
            private_file(gate.path)
        factory = gated_connection_class(gate)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": busy_timeout,
                "factory": factory,
            },
            pool_size=20,
        )
        event.listen(engine, "before_cursor_execute", open_gate_before_write)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cur.close()

        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def database_locked(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked": a writer outside this process's write
    gate (another program, or a writer let through after the gate's in-process timeout) kept
    the database past the busy timeout."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, keeping existing data. (alembic is imported
    here only: a serving process, migrated before it starts, never loads it.)"""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Database:
    """The engine and its sessions. ``busy_timeout``: see :func:`make_engine`;
    ``gate_timeout``: seconds a SQLite writer waits at the write gate (:mod:`.writegate`)
    before its request is refused with 503 ``busy``."""

    def __init__(self, url: str, busy_timeout: float = 30.0, gate_timeout: float = 30.0) -> None:
        #: The SQLite write gate (unused on other databases).
        self.write_gate = WriteGate(None, gate_timeout)
        self.engine = make_engine(url, busy_timeout, self.write_gate)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()
