"""Telegram's limits, kept by python-telegram-bot's AIORateLimiter, against the fake Bot API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram.ext import AIORateLimiter

from bot.app import App
from bot.channels.telegram import build_application
from bot.channels.telegram_sender import TelegramSender
from bot.errors import RetryLater
from bot.settings import Settings
from tests.channels.telegram.conftest import bot_env
from tests.support.fake_bot_api import FakeBotApi


def settings(api: FakeBotApi, tmp_path: Path, content_dir: Path, limit: bool) -> Settings:
    env = bot_env(api, tmp_path / "data", content_dir)
    env["WEGWIJS_TELEGRAM_RATE_LIMIT"] = "on" if limit else "off"
    return Settings.from_env(env)


async def test_the_limiter_is_on_as_shipped_and_off_on_request(
        api: FakeBotApi, tmp_path: Path, content_dir: Path, app: App) -> None:
    shipped = Settings.from_env({k: v for k, v in bot_env(api, tmp_path, content_dir).items()
                                 if k != "WEGWIJS_TELEGRAM_RATE_LIMIT"})
    assert isinstance(build_application(shipped, app).bot.rate_limiter, AIORateLimiter)
    off = settings(api, tmp_path, content_dir, limit=False)
    assert build_application(off, app).bot.rate_limiter is None


async def test_all_chats_together_stay_under_thirty_messages_a_second(
        api: FakeBotApi, tmp_path: Path, content_dir: Path, app: App) -> None:
    application = build_application(settings(api, tmp_path, content_dir, limit=True), app)
    async with application:
        sender = TelegramSender(application.bot, None)
        await asyncio.gather(*(sender.send(f"tg:{5000 + chat}", {"text": "Hallo"})
                               for chat in range(60)))
    moments = sorted(call.at for call in api.calls_of("sendMessage"))
    assert len(moments) == 60
    # A leaky bucket of 30 a second: after a burst of 30, the other 30 drain in about a second.
    assert moments[-1] - moments[0] >= 0.9


async def test_a_429_is_handed_to_the_outbox_not_retried_in_the_limiter(
        api: FakeBotApi, tmp_path: Path, content_dir: Path, app: App) -> None:
    application = build_application(settings(api, tmp_path, content_dir, limit=True), app)
    api.fail("sendMessage", 1, 429, retry_after=3)
    async with application:
        sender = TelegramSender(application.bot, None)
        with pytest.raises(RetryLater) as raised:
            await sender.send("tg:5200", {"text": "Hallo"})
    assert raised.value.retry_after == 3
    assert len(api.calls_of("sendMessage")) == 1

