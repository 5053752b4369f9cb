"""Fixtures of the web chat tests: the app (content loaded once), the real `wegwijs run` and
Chromium (see tests/support)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import App, build, content_or_fail
from bot.flows.model import Content
from bot.settings import PROJECT_ROOT, Settings
from tests.support.browser import chromium, page
from tests.support.web_server import WebServer, web_server

__all__ = ["chromium", "page"]


@pytest.fixture(scope="session")
def web_content() -> Content:
    """The real content, loaded once."""
    return content_or_fail(PROJECT_ROOT / "content")


@pytest.fixture
async def app(settings_env: dict[str, str], web_content: Content) -> AsyncIterator[App]:
    """The application on the test database (SQLite, and PostgreSQL in `make test`)."""
    built = await build(Settings.from_env(settings_env), content=web_content)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """One `wegwijs run` (web only) for the tests of a module."""
    with web_server(Path(tmp_path_factory.mktemp("web"))) as running:
        yield running
