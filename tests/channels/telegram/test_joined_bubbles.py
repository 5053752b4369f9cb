"""A turn's queued plain bubbles go out as one Telegram message (WEGWIJS_TELEGRAM_JOIN, on)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.app import App
from bot.channels.telegram_sender import PupilAddresses, TelegramSender
from bot.channels.web.log import Hub, WebLog, WebSender
from bot.conversation.service import Inbound
from bot.delivery.outbox import Dispatcher, enqueue_many
from bot.infra.sql import OutboxEntry, Pupil
from tests.support.fake_bot_api import FakeBotApi


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url) as opened:
        yield opened


def bubble(text: str, *buttons: str) -> dict[str, object]:
    return {"kind": "message", "text": text,
            "buttons": [{"title": b, "payload": f"x:{b}"} for b in buttons]}


async def test_plain_bubbles_are_joined_with_the_buttons_of_the_last(bot: Bot) -> None:
    sender = TelegramSender(bot, None, join=True)
    joined = await sender.joined(
        "tg:1", [bubble("Dag!"), bubble("Waarover gaat het?", "School", "Thuis")])
    assert joined is not None
    assert joined["text"] == "Dag!\n\nWaarover gaat het?"
    assert [b["title"] for b in joined["buttons"]] == ["School", "Thuis"]


async def test_what_may_not_be_joined_stays_apart(bot: Bot) -> None:
    async def joined(*payloads: dict[str, object], join: bool = True) -> object:
        return await TelegramSender(bot, None, join=join).joined("tg:1", list(payloads))

    assert await joined(bubble("Kies:", "Ja"), bubble("Nog iets")) is None  # buttons mid-turn
    assert await joined(bubble("Hoi"), {**bubble("Antwoord"), "reply_to": 12}) is None
    assert await joined(bubble("a" * 3000), bubble("b" * 2000)) is None  # over 4096
    assert await joined(bubble("Hoi"), {"kind": "alert", "text": "Dringend"}) is None
    assert await joined(bubble("Hoi"), bubble("Dag"), join=False) is None  # join off


async def test_the_dispatcher_sends_a_turn_as_one_message_and_marks_every_entry_sent(
        api: FakeBotApi, app: App, bot: Bot) -> None:
    dispatcher = Dispatcher(app.store, app.cipher, {"tg": TelegramSender(bot, None, join=True)})
    async with app.store.transaction() as session:
        await enqueue_many(session, app.cipher, "tg:5300",
                           [bubble("Dag!"), bubble("Fijn dat je er bent."),
                            bubble("Waarover gaat het?", "School"), bubble("Na de knoppen")],
                           "turn")
    assert await dispatcher.deliver_due() == 4
    sent = api.sent("5300")
    assert [p["text"] for p in sent] == [
        "Dag!\n\nFijn dat je er bent.\n\nWaarover gaat het?", "Na de knoppen"]
    assert "reply_markup" in sent[0] and "reply_markup" not in sent[1]
    async with app.store.transaction() as session:
        statuses = (await session.scalars(select(OutboxEntry.status))).all()
    assert statuses == ["sent"] * 4


async def test_a_refused_joined_message_is_retried_as_a_whole(
        api: FakeBotApi, app: App, bot: Bot) -> None:
    dispatcher = Dispatcher(app.store, app.cipher, {"tg": TelegramSender(bot, None, join=True)})
    async with app.store.transaction() as session:
        await enqueue_many(session, app.cipher, "tg:5400", [bubble("Een"), bubble("Twee")], "t")
    api.fail("sendMessage", 1, 500)
    assert await dispatcher.deliver_due() == 0
    async with app.store.transaction() as session:
        rows = (await session.scalars(select(OutboxEntry))).all()
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]


async def test_wegwijs_run_joins_a_telegram_pupils_turn_and_keeps_web_bubbles_apart(
        api: FakeBotApi, app: App, bot: Bot) -> None:
    """`wegwijs run` routes pupils through the web sender: it must join as Telegram does."""
    telegram = TelegramSender(bot, PupilAddresses(app.service, app.store), join=True)
    pupils = WebSender(WebLog(app.store, app.cipher, Hub())).routing(telegram)
    await app.service.handle(Inbound("telegram", "5301", "5301", "1", text="/start"))
    async with app.store.transaction() as session:
        queued = len((await session.scalars(select(OutboxEntry))).all())
        session.add(Pupil(id="p_web", channel="web", address=None, state=None))
    assert queued > 1  # the welcome is several bubbles
    assert await Dispatcher(app.store, app.cipher, {"pupil": pupils}).deliver_due() == queued
    assert len(api.sent("5301")) == 1
    assert await pupils.joined("pupil:p_web", [bubble("Hoi"), bubble("Dag")]) is None
