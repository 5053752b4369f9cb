"""Fault: a schema that drifts from the code, or a migration that breaks when run again
(every replica runs `migrate` at start-up). Both backends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

import bot.bootstrap  # noqa: F401  (loads every model module, as the app does)
from bot.adapters.sql import Base, Store


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrations_run_twice_on_a_fresh_database_and_match_the_models(
    database_url: str,
) -> None:
    store = Store(database_url)
    try:
        await store.migrate()
        await store.migrate()  # a second replica starting: nothing to do, no error
        async with store.engine.connect() as conn:
            tables = await conn.run_sync(_tables)
            diff = await conn.run_sync(_diff)
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert set(Base.metadata.tables) <= tables
        assert len(version) == 1
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        await store.close()


@pytest.mark.postgres
@pytest.mark.slow
async def test_concurrent_migrations_from_two_replicas_do_not_collide(postgres_url: str) -> None:
    """Two replicas starting together: the advisory lock lets one migrate, the other waits.
    (SQLite is single-replica: two processes migrating the same new file at once can collide.)"""
    first, second = Store(postgres_url), Store(postgres_url)
    try:
        await asyncio.gather(first.migrate(), second.migrate())
        async with first.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert len(version) == 1
    finally:
        await first.close()
        await second.close()
