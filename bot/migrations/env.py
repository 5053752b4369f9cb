"""Alembic environment: runs on the connection the store hands over (sync side of async)."""

from __future__ import annotations

from alembic import context

from bot.infra.sql import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through bot.infra.sql.Store.migrate()")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
