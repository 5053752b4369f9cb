"""Fault: a schema that drifts from the code, or a migration that breaks when run again
(every replica runs `migrate` at start-up). Both backends."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

import bot.app  # noqa: F401  (loads every model module, as the app does)
from bot.infra.sql import MIGRATIONS, SCHEMA_HEAD, Base, Store


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


async def test_concurrent_migrations_from_two_processes_do_not_collide(database_url: str) -> None:
    """Two replicas (or the bot and `wegwijs purge`) starting together on a new database:
    PostgreSQL's advisory lock, SQLite's BEGIN IMMEDIATE let one migrate while the other waits."""
    first, second = Store(database_url), Store(database_url)
    try:
        await asyncio.gather(first.migrate(), second.migrate())
        async with first.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert len(version) == 1
    finally:
        await first.close()
        await second.close()


def test_the_schema_head_the_store_knows_is_alembics_head() -> None:
    """`Store.migrate` skips Alembic when the database is at SCHEMA_HEAD: a new migration must
    move it, or databases would never get the new migration."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_HEAD]


async def test_a_database_behind_the_head_is_migrated(database_url: str) -> None:
    store = Store(database_url)
    try:
        await store.migrate()
        async with store.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0004_desk'"))
            await conn.execute(text("DROP TABLE checkins"))
            await conn.execute(text("DROP TABLE events"))
        await store.migrate()
        async with store.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            tables = await conn.run_sync(_tables)
        assert [row[0] for row in version] == [SCHEMA_HEAD]
        assert {"checkins", "events"} <= tables
    finally:
        await store.close()
