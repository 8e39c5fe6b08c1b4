"""The database the live servers run on: SQLite by default, PostgreSQL in the second pass."""

from __future__ import annotations

from sqlalchemy import text

from tests.support.live_server import LiveServer


def test_backend_is_the_one_asked_for(server: LiveServer, postgres_cluster: str | None) -> None:
    engine = server.state.db.engine
    with engine.connect() as conn:
        if postgres_cluster is None:
            assert engine.dialect.name == "sqlite"
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            return
        assert engine.dialect.name == "postgresql"
        # Keys must sort by code point, as on SQLite: listing cursors and prefix ranges rely on it.
        collation = conn.execute(
            text(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name = 'blobs' AND column_name = 'key'"
            )
        ).scalar()
        assert collation == "C"
