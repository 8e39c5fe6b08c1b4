"""Alembic environment: runs on the connection handed over by ``bucketry_server.db.migrate``."""

from __future__ import annotations

from alembic import context

from bucketry_server.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run through the alembic CLI
    raise RuntimeError("run migrations through bucketry_server.db.migrate()")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
