"""Fixtures: the application with a networks config, a fixed clock and recording senders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build, content_or_fail
from bot.delivery.outbox import Dispatcher
from bot.flows.model import Content
from bot.settings import Settings
from tests.channels.telegram.content import usable_content
from tests.handoff.support import (
    DEFAULT_CHAT,
    OFFICE_TIME,
    RecordingSender,
    networks_config,
)


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real content (patched with stand-ins only while other parts are unfinished)."""
    return usable_content(tmp_path_factory.mktemp("handoff-content"))


@pytest.fixture
def handoff_env(tmp_path: Path, database_url: str, content_dir: Path) -> dict[str, str]:
    """Environment of the application under test (SQLite, and PostgreSQL in `make test`)."""
    return {
        "WEGWIJS_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "WEGWIJS_CONTENT_DIR": str(content_dir),
        "WEGWIJS_SECRET_KEY": "handoff-test-secret-0123456789",
        "WEGWIJS_COUNSELLOR_CHAT_ID": DEFAULT_CHAT,
        "WEGWIJS_NETWORKS_CONFIG": str(networks_config(tmp_path / "networks.yml")),
    }


@pytest.fixture(scope="session")
def loaded_content(content_dir: Path) -> Content:
    """The content, loaded once (building an app per test stays fast)."""
    return content_or_fail(content_dir)


@pytest.fixture
async def happ(handoff_env: dict[str, str], loaded_content: Content) -> AsyncIterator[App]:
    """The application, its clock at a Wednesday morning (office hours)."""
    app = await build(Settings.from_env(handoff_env), content=loaded_content)
    app.handoff.clock = lambda: OFFICE_TIME
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
def group() -> RecordingSender:
    """The Telegram sender for counsellor chats (`tg:`)."""
    return RecordingSender()


@pytest.fixture
def pupils() -> RecordingSender:
    """The Telegram sender for pupils (`pupil:`)."""
    return RecordingSender()


@pytest.fixture
def dispatcher(happ: App, group: RecordingSender, pupils: RecordingSender) -> Dispatcher:
    return happ.dispatcher({"pupil": pupils, "tg": group})
