"""The outbox sender against the fake Bot API: splitting, keyboards, error mapping, addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot

from bot.app import App
from bot.channels.telegram_sender import (
    PupilAddresses,
    TelegramSender,
    split_text,
    utf16_len,
)
from bot.conversation.service import Inbound
from bot.errors import DeliveryRejected, RetryLater
from tests.support.fake_bot_api import FakeBotApi

CHAT = "-100123"


@pytest.fixture
async def sender(api: FakeBotApi) -> AsyncIterator[TelegramSender]:
    """A sender for counsellor chats only (no store needed)."""
    async with Bot(api.token, base_url=api.base_url) as bot:
        yield TelegramSender(bot, None)


@pytest.fixture
async def pupil_sender(api: FakeBotApi, app: App) -> AsyncIterator[TelegramSender]:
    """A sender that resolves pupil destinations through the real store."""
    async with Bot(api.token, base_url=api.base_url) as bot:
        yield TelegramSender(bot, PupilAddresses(app.service, app.store))


def message(text: str, *buttons: tuple[str, str], **extra: object) -> dict[str, object]:
    return {"kind": "message", "text": text,
            "buttons": [{"title": t, "payload": p} for t, p in buttons], **extra}


async def test_a_long_text_is_split_at_paragraphs_with_the_buttons_on_the_last_part(
        api: FakeBotApi, sender: TelegramSender) -> None:
    paragraphs = [f"Alinea {i}. " + "woord " * 250 for i in range(5)]
    text = "\n\n".join(paragraphs)
    result = await sender.send(f"tg:{CHAT}", message(text, ("Verder", "flow.step:next")))
    sent = api.sent(CHAT)
    assert len(sent) == 3
    assert all(utf16_len(p["text"]) <= 4096 for p in sent)
    assert [("reply_markup" in p) for p in sent] == [False, False, True]
    assert sent[1]["text"].startswith("Alinea 2.")  # cut at a paragraph break
    assert " ".join(p["text"] for p in sent).split() == text.split()
    assert result == {"message_id": 503, "chat_id": CHAT}


async def test_emoji_count_twice_toward_the_limit(api: FakeBotApi, sender: TelegramSender) -> None:
    await sender.send(f"tg:{CHAT}", message("🙂" * 3000))
    assert [utf16_len(p["text"]) for p in api.sent(CHAT)] == [4096, 1904]


async def test_inline_keyboard_has_one_button_per_row_and_plain_text(
        api: FakeBotApi, sender: TelegramSender) -> None:
    await sender.send(f"tg:{CHAT}", message("*niet vet* <b>", ("Ja", "a.b:yes"), ("Nee", "a.b:no")))
    sent = api.sent(CHAT)[0]
    assert sent["text"] == "*niet vet* <b>" and "parse_mode" not in sent
    assert sent["reply_markup"] == {"inline_keyboard": [
        [{"text": "Ja", "callback_data": "a.b:yes"}], [{"text": "Nee", "callback_data": "a.b:no"}]]}


async def test_a_button_payload_over_64_bytes_is_refused_before_sending(
        api: FakeBotApi, sender: TelegramSender) -> None:
    with pytest.raises(DeliveryRejected):
        await sender.send(f"tg:{CHAT}", message("Kies", ("Lang", "é" * 33)))
    assert api.calls_of("sendMessage") == []


async def test_thread_and_reply_reach_telegram_and_unknown_keys_are_ignored(
        api: FakeBotApi, sender: TelegramSender) -> None:
    await sender.send(f"tg:{CHAT}", message("Nieuw bericht", thread=12, reply_to=77,
                                            case_id=5, whatever={"x": 1}))
    sent = api.sent(CHAT)[0]
    assert sent["message_thread_id"] == "12"
    assert sent["reply_parameters"] == {"message_id": 77, "allow_sending_without_reply": True}


async def test_a_payload_without_text_is_rejected(sender: TelegramSender) -> None:
    with pytest.raises(DeliveryRejected):
        await sender.send(f"tg:{CHAT}", {"kind": "case_opened", "case_id": 1})


@pytest.mark.parametrize(("status", "error"), [(429, RetryLater), (500, RetryLater),
                                               (502, RetryLater), (403, DeliveryRejected),
                                               (400, DeliveryRejected)])
async def test_telegram_errors_map_to_retry_or_reject(
        api: FakeBotApi, sender: TelegramSender, status: int,
        error: type[Exception]) -> None:
    api.fail("sendMessage", 1, status, retry_after=3 if status == 429 else None)
    with pytest.raises(error) as raised:
        await sender.send(f"tg:{CHAT}", message("Hallo"))
    if status == 429:
        assert isinstance(raised.value, RetryLater) and raised.value.retry_after == 3


async def test_a_dropped_connection_is_retried_later(api: FakeBotApi,
                                                    sender: TelegramSender) -> None:
    api.drop("sendMessage")
    with pytest.raises(RetryLater):
        await sender.send(f"tg:{CHAT}", message("Hallo"))


async def test_a_retry_after_a_partial_split_does_not_send_the_first_part_again(
        api: FakeBotApi, sender: TelegramSender) -> None:
    text = "woord " * 1000
    api.fail("sendMessage", 1, 500, after=1)  # the first part goes through, the second fails
    with pytest.raises(RetryLater):
        await sender.send(f"tg:{CHAT}", message(text))
    assert len(api.sent(CHAT)) == 1
    await sender.send(f"tg:{CHAT}", message(text))
    assert len(api.sent(CHAT)) == 2
    assert " ".join(p["text"] for p in api.sent(CHAT)).split() == text.split()


async def test_a_pupil_destination_is_resolved_to_their_chat_and_unknown_ones_rejected(
        api: FakeBotApi, app: App, pupil_sender: TelegramSender) -> None:
    handled = await app.service.handle(Inbound("telegram", "4242", "4242", "1", text="/help"))
    await pupil_sender.send(f"pupil:{handled.pupil_id}", message("Hoi"))
    assert api.texts(4242) == ["Hoi"]
    with pytest.raises(DeliveryRejected):
        await pupil_sender.send("pupil:p_unknown", message("Hoi"))


@given(st.text(alphabet=st.sampled_from("ab 🙂\n."), max_size=400))
def test_split_text_keeps_every_word_within_the_limit(text: str) -> None:
    chunks = split_text(text, limit=40)
    assert all(1 <= utf16_len(chunk) <= 40 for chunk in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())
