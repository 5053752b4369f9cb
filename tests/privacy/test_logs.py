"""Threat: pupil words or secrets leaking through logs (log files are copied, shipped to log
services and read by operators). A whole conversation with free text, a handoff and a crisis
runs at DEBUG; every record of every logger is formatted and searched."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import App, build
from bot.cli import _configure_logging
from bot.infra.crypto import Cipher
from bot.infra.sql import Store
from bot.settings import Settings
from tests.privacy.fixtures import RecordingSender
from tests.privacy.scenario import (
    CRISIS,
    EMOJI_RTL,
    MORE,
    SECRETS,
    STORY,
    say,
    sensitive_conversation,
)
from tests.privacy.support import PUPIL_ID_TELEGRAM, SECRET
from tests.support.local_http import serving

TELEGRAM_TOKEN = "7012345678:AAH-telegram-token-never-logged"
RASA_TOKEN = "rasa-token-never-logged-9f8e7d"
DB_PASSWORD = "db-password-never-logged"


class Capture(logging.Handler):
    """Keeps every record that reaches the root logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def capture() -> Iterator[Capture]:
    root = logging.getLogger()
    levels = {
        name: logging.getLogger(name).level for name in [*logging.root.manager.loggerDict, ""]
    }
    _configure_logging(verbose=True)  # exactly what `wegwijs -v` does
    root.setLevel(logging.DEBUG)
    handler = Capture()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
async def rasa_url() -> AsyncIterator[str]:
    """A small Rasa stand-in on 127.0.0.1 (the real protocol), so the NLU path runs too."""

    async def parse(request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        text = str(body.get("text", ""))
        intent = "crisis" if "dood" in text else "out_of_scope"
        return web.json_response(
            {
                "text": text,
                "intent": {"name": intent, "confidence": 0.9},
                "entities": [],
                "intent_ranking": [],
            }
        )

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    async with serving(app) as url:
        yield url


def forbidden() -> list[str]:
    words = [
        *SECRETS,
        STORY,
        MORE,
        CRISIS,
        "مرحبا",
        PUPIL_ID_TELEGRAM,
        TELEGRAM_TOKEN,
        TELEGRAM_TOKEN.split(":")[1],
        RASA_TOKEN,
        SECRET,
        DB_PASSWORD,
    ]
    return [w for w in words if w]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_pupil_text_and_no_token_in_any_log_record(
    capture: Capture, settings_env: dict[str, str], rasa_url: str
) -> None:
    env = {
        **settings_env,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "RASA_URL": rasa_url,
        "RASA_TOKEN": RASA_TOKEN,
    }
    app: App = await build(Settings.from_env(env))
    try:
        handled = await sensitive_conversation(app)
        assert any(h.messages for h in handled)
        await say(app, EMOJI_RTL)
        sender = RecordingSender()
        await app.dispatcher({"pupil": sender, "tg": sender}).deliver_due()
        assert sender.sent
        await say(app, "/vergeet")
        await say(app, button="forget.confirm:yes")
        logging.getLogger("wegwijs.test").info("settings: %r cipher: %r", app.settings, app.cipher)
    finally:
        await app.close()
    assert len(capture.lines) > 10, "logging was not captured: the test would prove nothing"
    leaks = [(word, line) for line in capture.lines for word in forbidden() if word in line]
    assert leaks == []


def test_httpx_and_httpcore_never_log_request_urls() -> None:
    """httpx logs every request URL at INFO; Telegram URLs contain the bot token."""
    root_level = logging.getLogger().level
    _configure_logging(verbose=True)
    try:
        for name in ("httpx", "httpcore"):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
    finally:
        logging.getLogger().setLevel(root_level)


def test_secrets_are_masked_in_repr(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "RASA_TOKEN": RASA_TOKEN,
            "WEGWIJS_SECRET_KEY": SECRET,
        },
        data_dir=tmp_path,
    )
    store = Store(f"postgresql+asyncpg://u:{DB_PASSWORD}@127.0.0.1:1/db")
    shown = " ".join(
        [
            repr(settings),
            str(settings.telegram_token),
            repr(Cipher(SECRET)),
            repr(store),
            f"{settings.rasa_token}",
        ]
    )
    for secret in (TELEGRAM_TOKEN, RASA_TOKEN, SECRET, DB_PASSWORD):
        assert secret not in shown


def test_settings_repr_does_not_show_the_database_password(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"DATABASE_URL": f"postgresql://u:{DB_PASSWORD}@h/db"}, data_dir=tmp_path
    )
    assert DB_PASSWORD not in repr(settings)
    assert DB_PASSWORD not in str(settings)
