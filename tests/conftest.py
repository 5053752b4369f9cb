"""Shared fixtures: databases (SQLite and PostgreSQL), settings and a built application."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.app import App, build
from bot.settings import Settings

pytest_plugins = (
    ["tests.support.rasa"] if (Path(__file__).parent / "support" / "rasa.py").exists() else []
)

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
    built = await build(Settings.from_env(settings_env))
    try:
        yield built
    finally:
        await built.close()
