"""A bug while handling a pupil's update: the pupil still hears from the bot.

PTB has acknowledged the update before the handler runs, so the message cannot be retried.
The channel then tells the pupil, in Dutch, that something went wrong, naming 1813 and 112 in
case the message was a cry for help. Real PTB objects against the fake Bot API over HTTP.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Bot, Update

from bot.app import App
from bot.channels.telegram_updates import TelegramChannel
from tests.support.fake_bot_api import FakeBotApi

PUPIL = 5150001


def _update(bot: Bot, text: str) -> Update:
    chat = {"id": PUPIL, "type": "private", "first_name": "P"}
    data: dict[str, Any] = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": chat,
            "from": {**chat, "is_bot": False},
            "text": text,
        },
    }
    return Update.de_json(data, bot)


async def test_a_failing_handler_tells_the_pupil_and_names_the_help_lines(
    api: FakeBotApi, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("a bug in a flow")

    monkeypatch.setattr(app.service, "handle", broken)
    error_text = app.content.text("error_generic")
    channel = TelegramChannel(app.service, app.handoff)
    async with Bot(api.token, base_url=api.base_url) as bot:
        context: Any = SimpleNamespace(bot=bot)
        with pytest.raises(RuntimeError):  # still raised: PTB's error handler logs it
            await channel.pupil_message(_update(bot, "hallo"), context)
    assert api.texts(PUPIL) == [error_text]
    assert "1813" in error_text and "112" in error_text
