"""Fixtures: a fake Bot API server, the test content, and the real bot as a subprocess."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app import App, build
from bot.channels.telegram import serve
from bot.content import load_content
from bot.flows.model import Content
from bot.settings import Settings
from tests.channels.telegram.content import usable_content
from tests.channels.telegram.process import BotProcess
from tests.support.conversation import loaded_once
from tests.support.fake_bot_api import FakeBotApi

SECRET = "telegram-test-secret-0123456789abcdef"
COUNSELLOR_CHAT = -100777


@pytest.fixture(autouse=True, scope="session")
def _ptb_timedelta() -> Iterator[None]:
    """Opt in to PTB's timedelta durations, as `wegwijs run` does (no deprecation warning)."""
    before = os.environ.get("PTB_TIMEDELTA")
    os.environ["PTB_TIMEDELTA"] = "true"
    yield
    if before is None:
        del os.environ["PTB_TIMEDELTA"]
    else:
        os.environ["PTB_TIMEDELTA"] = before


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return usable_content(tmp_path_factory.mktemp("telegram-content"))


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


def bot_env(api: FakeBotApi, data_dir: Path, content_dir: Path) -> dict[str, str]:
    """Environment of a bot process talking to the fake server."""
    return {**api.env(), "WEGWIJS_DATA_DIR": str(data_dir), "WEGWIJS_CONTENT_DIR": str(content_dir),
            "WEGWIJS_SECRET_KEY": SECRET, "WEGWIJS_COUNSELLOR_CHAT_ID": str(COUNSELLOR_CHAT),
            "WEGWIJS_TELEGRAM_RATE_LIMIT": "off", "WEGWIJS_TELEGRAM_JOIN": "off"}


@asynccontextmanager
async def serving(api: FakeBotApi, data_dir: Path, content_dir: Path,
                  adapt: Callable[[App], None] | None = None) -> AsyncIterator[App]:
    """The bot in this process (`serve`, polling the fake server) until the block ends.

    `adapt` may change the built app before it serves (a test's own handoff service, say).
    """
    settings = Settings.from_env(bot_env(api, data_dir, content_dir))
    app = await build(settings, content=loaded_once(content_dir))
    if adapt is not None:
        adapt(app)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, None, "127.0.0.1", 0, stop=stop, app=app))
    try:
        await api.until(lambda: bool(api.calls_of("getUpdates")) or task.done())
        assert not task.done(), "the bot stopped at start-up"
        yield app
    finally:
        stop.set()
        await task
        await app.close()


@pytest.fixture
def bot(api: FakeBotApi, tmp_path: Path, content_dir: Path) -> Iterator[BotProcess]:
    """`wegwijs run` (polling) against the fake server, stopped after the test."""
    process = BotProcess(api, bot_env(api, tmp_path / "data", content_dir)).start()
    try:
        yield process
    finally:
        process.close()


@pytest.fixture(scope="module")
def shared_api() -> Iterator[FakeBotApi]:
    """One fake server for a whole module (tests use different users)."""
    with FakeBotApi() as server:
        yield server


@pytest.fixture(scope="module")
def shared_bot(shared_api: FakeBotApi, tmp_path_factory: pytest.TempPathFactory,
               content_dir: Path) -> Iterator[BotProcess]:
    """One `wegwijs run` for a whole module, to keep the suite quick."""
    data = tmp_path_factory.mktemp("shared-bot")
    process = BotProcess(shared_api, bot_env(shared_api, data, content_dir)).start()
    try:
        yield process
    finally:
        process.close()


_users = iter(range(700_001, 800_000))


@pytest.fixture
def user() -> int:
    """A Telegram user id no other test uses."""
    return next(_users)


@pytest.fixture(scope="session")
def content(content_dir: Path) -> Content:
    """The loaded test content (to compare replies with the texts editors wrote)."""
    loaded, problems = load_content(content_dir)
    assert loaded is not None, problems
    return loaded


@pytest.fixture
async def app(api: FakeBotApi, tmp_path: Path, content_dir: Path) -> AsyncIterator[App]:
    """An in-process application wired to the fake server (for PTB objects in the test)."""
    built = await build(Settings.from_env(bot_env(api, tmp_path / "data", content_dir)),
                        content=loaded_once(content_dir))
    try:
        yield built
    finally:
        await built.close()
