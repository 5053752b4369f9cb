"""End to end through the fake Bot API server: a pupil and counsellors on 'Telegram'.

The real adapter (python-telegram-bot, polling), the real services, SQLite, and the outbox
dispatcher run in this process; only Telegram is the fake server (real HTTP on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build
from bot.channels.telegram import serve
from bot.flows.model import Content
from bot.settings import Settings
from tests.handoff.support import SARA, STRANGER, networks_config
from tests.support.fake_bot_api import FakeBotApi

LIMBURG = -1003
PUPIL = 910_001


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


class RunningBot:
    """`wegwijs run` in this process, against the fake server; can be restarted."""

    def __init__(self, api: FakeBotApi, env: dict[str, str], content: Content) -> None:
        self.api, self.env, self.content = api, env, content
        self.app: App | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> RunningBot:
        settings = Settings.from_env(self.env)
        self.app = await build(settings, content=self.content)
        self._stop = asyncio.Event()
        polls = len(self.api.calls_of("getUpdates"))
        self._task = asyncio.create_task(
            serve(settings, None, "127.0.0.1", 0, stop=self._stop, app=self.app)
        )
        await self.api.until(
            lambda: (
                len(self.api.calls_of("getUpdates")) > polls
                or self._task is None
                or self._task.done()
            ),
            10,
        )
        return self

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        if self.app is not None:
            await self.app.close()


@pytest.fixture
async def bot(
    api: FakeBotApi, tmp_path: Path, content_dir: Path, loaded_content: Content
) -> AsyncIterator[RunningBot]:
    env = {
        **api.env(),
        "WEGWIJS_DATA_DIR": str(tmp_path / "data"),
        "WEGWIJS_CONTENT_DIR": str(content_dir),
        "WEGWIJS_SECRET_KEY": "handoff-e2e-secret-0123456789",
        "WEGWIJS_COUNSELLOR_CHAT_ID": "-1001",
        "WEGWIJS_NETWORKS_CONFIG": str(networks_config(tmp_path / "networks.yml")),
        "WEGWIJS_TELEGRAM_RATE_LIMIT": "off",
    }
    running = await RunningBot(api, env, loaded_content).start()
    try:
        yield running
    finally:
        await running.stop()


def group_messages(api: FakeBotApi) -> list[dict[str, Any]]:
    """Every message the bot posted in the Limburg counsellor chat (as the server stored it)."""
    return [m for m in api._messages.get(str(LIMBURG), [])]


async def wait_text(api: FakeBotApi, chat: int, fragment: str, timeout: float = 10) -> str:
    """Wait for a message containing `fragment` in a chat; return it."""

    def found() -> bool:
        return any(fragment in t for t in api.texts(chat))

    await api.until(found, timeout)
    return next(t for t in api.texts(chat) if fragment in t)


async def request_help(api: FakeBotApi) -> None:
    """A pupil from Limburg (school deep link) asks for a person and shares a summary."""
    api.push_command(PUPIL, "start", "limburg")
    await api.until(lambda: bool(api.buttons(PUPIL)), 10)
    api.press(PUPIL, "Praten met een mens")
    await wait_text(api, PUPIL, "Wat mag de begeleider vooraf zien?")
    api.press(PUPIL, "Alleen een korte samenvatting")


@pytest.mark.slow
async def test_request_consent_claim_relay_close_feedback(api: FakeBotApi, bot: RunningBot) -> None:
    await request_help(api)
    case_text = await wait_text(api, LIMBURG, "Vraag #1")
    assert "Netwerk: Limburg" in case_text
    assert api.buttons(LIMBURG) == ["✋ Opnemen", "✅ Afsluiten"]
    root = group_messages(api)[0]["message_id"]

    api.push_group_callback(LIMBURG, int(STRANGER), "case:1:claim")
    await wait_text(api, LIMBURG, "niet op de lijst")

    api.push_group_callback(LIMBURG, int(SARA), "case:1:claim")
    await wait_text(api, PUPIL, "Sara (CLB-medewerker) is er nu voor je")
    claimed = next(p for p in api.sent(LIMBURG) if "neemt vraag #1 op" in p["text"])
    assert claimed["reply_parameters"]["message_id"] == root

    before = len(api.texts(PUPIL))
    api.push_text(PUPIL, "Ik wil stoppen met school, ik zie het niet meer zitten op school")
    relayed = await wait_text(api, LIMBURG, "💬 Jongere (#1): Ik wil stoppen")
    await asyncio.sleep(0.3)
    assert len(api.texts(PUPIL)) == before, "the bot talked while the counsellor had the case"

    relay_message = next(m for m in group_messages(api) if m["text"] == relayed)
    api.push_group_text(
        LIMBURG,
        int(SARA),
        "Dag, ik ben Sara. Wat maakt het zo zwaar?",
        reply_to_message=relay_message,
    )
    said = await wait_text(api, PUPIL, "Sara (CLB-medewerker): Dag, ik ben Sara.")
    assert "Pupil" not in said, "the counsellor's Telegram account reached the pupil"

    api.push_group_text(LIMBURG, int(SARA), "Even overleggen met het team")  # not a reply
    api.push_group_callback(LIMBURG, int(SARA), "case:1:close")
    await wait_text(api, LIMBURG, "Hoe sluit je vraag #1 af?")
    api.push_group_callback(LIMBURG, int(SARA), "case:1:close:helped")
    await wait_text(api, PUPIL, "had je iets aan dit gesprek")
    assert not any("overleggen" in t for t in api.texts(PUPIL))
    api.press(PUPIL, "👍 Ja")
    await wait_text(api, PUPIL, "Dank je!")
    texts = api.texts(LIMBURG)
    assert len(texts) == len(set(texts)), "a counsellor message was sent twice"


@pytest.mark.slow
async def test_group_unreachable_and_restarts_with_pending_then_active_case(
    api: FakeBotApi, bot: RunningBot
) -> None:
    api.block(LIMBURG)  # the bot was removed from the counsellor group, say
    await request_help(api)
    await wait_text(api, PUPIL, "De begeleiders van Limburg")
    await api.until(
        lambda: any(
            str(c.params.get("chat_id")) == str(LIMBURG)
            for c in api.calls_of("sendMessage")
            if c.status != 200
        ),
        10,
    )

    await bot.stop()  # restart with a pending case whose notification is not delivered
    api._blocked.discard(str(LIMBURG))
    api.fail("sendMessage", times=1, status=502)  # ...after one more server error
    api.drop("sendMessage", times=1)  # and one dropped connection
    await bot.start()
    await wait_text(api, LIMBURG, "Vraag #1", timeout=20)
    api.push_group_callback(LIMBURG, int(SARA), "case:1:claim")
    await wait_text(api, PUPIL, "is er nu voor je")

    await bot.stop()  # restart with an active case
    api.push_text(PUPIL, "Zijn jullie er nog?")  # arrives while the bot is down
    await bot.start()
    await wait_text(api, LIMBURG, "💬 Jongere (#1): Zijn jullie er nog?")
    root = group_messages(api)[0]
    assert "Vraag #1" in root["text"]
    api.push_group_text(LIMBURG, int(SARA), "Ja hoor!", reply_to_message=root)
    await wait_text(api, PUPIL, "Sara (CLB-medewerker): Ja hoor!")
    texts = api.texts(LIMBURG)
    assert len(texts) == len(set(texts)), "a counsellor message was sent twice"
    pupil_texts = api.texts(PUPIL)
    assert pupil_texts.count("Sara (CLB-medewerker): Ja hoor!") == 1
