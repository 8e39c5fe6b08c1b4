"""Engine, sessions and schema migrations (Alembic, run programmatically at start-up)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .security import private_file
from .writegate import WriteGate, gated_connection_class, open_gate_before_write

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, busy_timeout: float = 30.0) -> Engine:
    """SQLite gets WAL, a busy timeout, foreign keys and a write gate (writers of every
    process queue for the write lock instead of polling for it, :mod:`.writegate`); other
    databases a modest pool. ``busy_timeout``: seconds a SQLite statement waits for a lock
    held outside this process's gate before failing with "database is locked".

    A new SQLite database file is created mode 0600 (its WAL and shared-memory files follow).
    """
    if url.startswith("sqlite"):
        database = make_url(url).database
        lock_file = None
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(Path(database))
            lock_file = Path(database + "-writegate")
            private_file(lock_file)
        factory = gated_connection_class(WriteGate(lock_file))
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
    def __init__(self, url: str, busy_timeout: float = 30.0) -> None:
        self.engine = make_engine(url, busy_timeout)
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
