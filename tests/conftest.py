"""Shared fixtures: databases (SQLite and PostgreSQL), settings and a built application; and
how the tests are shared between pytest-xdist workers (`make test` runs two)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.app import App, build
from bot.settings import Settings
from tests.support.conversation import loaded_once

pytest_plugins = (
    ["tests.support.rasa"] if (Path(__file__).parent / "support" / "rasa.py").exists() else []
)

# Tests that need the Rasa server run on one worker, so one server is started, not one per worker.
RASA_FIXTURES = frozenset({"rasa_server", "rasa_model", "nlu_project"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group tests for `--dist loadgroup`: the Rasa tests on one worker, and the tests of a
    module with a module-scoped fixture (a browser, a running bot, a loaded bank) on one worker,
    so such a fixture is set up once, as without workers."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        names = set(info.names_closure)
        if names & RASA_FIXTURES:
            item.add_marker(pytest.mark.xdist_group("rasa"))
            continue
        scopes = {d.scope for defs in info.name2fixturedefs.values() for d in defs}
        if "module" in scopes:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


PG_ADMIN = os.environ.get("WEGWIJS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_PARAM = pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])


async def _pg_database() -> tuple[str, str]:
    name = f"wegwijs_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name, url = await _pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture(params=["sqlite", PG_PARAM])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test using this runs against SQLite and against PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name, url = await _pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture
def settings_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """Environment for a test application (no Telegram, no Rasa)."""
    return {
        "WEGWIJS_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "WEGWIJS_SECRET_KEY": "test-secret-key-0123456789abcdef",
        "WEGWIJS_COUNSELLOR_CHAT_ID": "-1001",
    }


@pytest.fixture
async def app(settings_env: dict[str, str]) -> AsyncIterator[App]:
    """A fully built application on the test database."""
    settings = Settings.from_env(settings_env)
    built = await build(settings, content=loaded_once(settings.content_dir))
    try:
        yield built
    finally:
        await built.close()
