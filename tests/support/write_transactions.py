"""Counting the write transactions a piece of server code commits (tests of group commit and
of the multipart completion's one-transaction path)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bucketry_server.db import Database


class WriteTransactions:
    """Counts the transactions of ``db``'s engine that wrote something (a read-only session's
    commit is not one) until :meth:`remove`."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self.on_statement)
        event.listen(self.engine, "commit", self.on_commit)

    def on_statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """Note that the connection's transaction wrote."""
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            conn.info["wrote"] = True

    def on_commit(self, conn: Any) -> None:
        """Count the commit if its transaction wrote."""
        if conn.info.pop("wrote", False):
            self.count += 1

    def remove(self) -> None:
        """Stop counting."""
        event.remove(self.engine, "before_cursor_execute", self.on_statement)
        event.remove(self.engine, "commit", self.on_commit)
