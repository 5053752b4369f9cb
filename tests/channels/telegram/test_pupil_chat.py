"""A pupil talks to the real `wegwijs run` process through the fake Bot API (polling)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.flows.model import Content
from tests.channels.telegram.process import BotProcess
from tests.support.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.usefixtures("shared_bot")


def welcome(api: FakeBotApi, user: int) -> list[str]:
    """/start and wait for the whole welcome (the last message carries the menu)."""
    api.push_command(user, "start")
    api.wait_for(lambda: bool(api.buttons(user)))
    return api.texts(user)


def test_start_sends_the_welcome_with_one_inline_button_per_row(shared_api: FakeBotApi,
                                                                 user: int) -> None:
    texts = welcome(shared_api, user)
    assert len(texts) >= 2
    last = shared_api.sent(user)[-1]
    rows = last["reply_markup"]["inline_keyboard"]
    assert len(rows) >= 2 and all(len(row) == 1 for row in rows)
    assert all(1 <= len(b["callback_data"].encode()) <= 64 for row in rows for b in row)
    assert all("parse_mode" not in p for p in shared_api.sent(user))  # plain text only


def test_commands_are_registered_in_dutch_for_private_chats(shared_api: FakeBotApi,
                                                             content: Content) -> None:
    registered = {c["command"]: c["description"]
                  for c in shared_api.commands["all_private_chats:"]}
    assert {"start", "help", "stop", "privacy", "vergeet", "mijnplan", "mens"} <= set(registered)
    assert registered == dict(content.patterns.command_descriptions)


def test_a_button_press_is_answered_and_moves_the_conversation_on(shared_api: FakeBotApi,
                                                                   user: int) -> None:
    before = len(welcome(shared_api, user))
    title = shared_api.buttons(user)[-1]
    _, query_id = shared_api.press(user, title)
    shared_api.wait_for(lambda: len(shared_api.sent(user)) > before)
    answered = [c.params["callback_query_id"] for c in shared_api.calls_of("answerCallbackQuery")]
    assert query_id in answered
    assert shared_api.texts(user)[before] != shared_api.texts(user)[before - 1]


def test_a_stale_button_gets_the_current_question_again(shared_api: FakeBotApi, user: int,
                                                       content: Content) -> None:
    welcome(shared_api, user)
    shared_api.push_command(user, "stop")  # a new question with its own buttons
    shared_api.wait_for(lambda: shared_api.sent(user)[-1]["text"] != shared_api.texts(user)[0]
                        and len(shared_api.sent(user)) >= 4)
    current = shared_api.texts(user)[-1]
    count = len(shared_api.sent(user))
    shared_api.press(user, shared_api.buttons(user, nth_last=2)[0], nth_last=2)  # the menu
    shared_api.wait_for(lambda: len(shared_api.sent(user)) >= count + 2)
    assert shared_api.texts(user)[count:count + 2] == [content.text("stale_button"), current]


def test_a_deep_link_sets_the_pupils_network(shared_api: FakeBotApi, shared_bot: BotProcess,
                                             user: int) -> None:
    shared_api.push_command(user, "start", "antwerpen")
    shared_api.wait_for(lambda: bool(shared_api.buttons(user)))
    database = Path(shared_bot.env["WEGWIJS_DATA_DIR"]) / "wegwijs.db"
    with sqlite3.connect(database) as connection:
        networks = {row[0] for row in connection.execute("SELECT network FROM pupils")}
    assert "antwerpen" in networks


@pytest.mark.parametrize("kind", ["photo", "voice", "sticker", "video", "location", "contact",
                                  "document"])
def test_non_text_messages_get_a_word_on_what_the_bot_can_read(shared_api: FakeBotApi,
                                                              user: int, kind: str,
                                                              content: Content) -> None:
    shared_api.push_media(user, kind)
    assert shared_api.wait_sent(user, 1)[0] == content.text("unsupported_media")


def test_an_edited_message_is_read_as_a_new_message(shared_api: FakeBotApi, user: int) -> None:
    welcome(shared_api, user)
    count = len(shared_api.sent(user))
    shared_api.push_edited(user, message_id=1, text="/help")
    shared_api.wait_for(lambda: len(shared_api.sent(user)) > count)


def test_one_pupils_messages_are_answered_in_order(shared_api: FakeBotApi, user: int) -> None:
    reference = 800_000 + user % 1000
    for command in ("help", "privacy", "help"):
        shared_api.push_command(reference, command)
        shared_api.wait_for(lambda: bool(shared_api.sent(reference)), 5)
    shared_api.wait_for(lambda: len(set(shared_api.texts(reference))) >= 2)
    for command in ("help", "privacy", "help"):
        shared_api.push_command(user, command)  # all at once
    shared_api.wait_for(lambda: len(shared_api.sent(user)) >= len(shared_api.sent(reference)))
    assert shared_api.texts(user) == shared_api.texts(reference)


def test_many_pupils_at_once_each_get_their_welcome(shared_api: FakeBotApi) -> None:
    users = list(range(900_001, 900_021))
    for pupil in users:
        shared_api.push_command(pupil, "start")
    shared_api.wait_for(lambda: all(shared_api.buttons(p) for p in users), 10)
    assert len({tuple(shared_api.texts(p)) for p in users}) == 1


def test_the_same_update_twice_is_handled_once(shared_api: FakeBotApi, user: int) -> None:
    update_id = shared_api.push_command(user, "help")
    shared_api.wait_for(lambda: bool(shared_api.sent(user)))
    replies = len(shared_api.wait_sent(user, 1))
    duplicate = {"update_id": update_id, "message": {
        "message_id": 1, "date": 1_700_000_000, "chat": {"id": user, "type": "private"},
        "from": {"id": user, "is_bot": False, "first_name": "Pupil"}, "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
    shared_api.push(duplicate)
    shared_api.push_command(user, "privacy")  # handled after the duplicate (same chat, in order)
    shared_api.wait_for(lambda: len(shared_api.sent(user)) > replies)
    shared_api.wait_for(lambda: len(set(shared_api.texts(user))) == len(shared_api.texts(user))
                        and len(shared_api.texts(user)) > replies)
    help_texts = shared_api.texts(user)[:replies]
    assert all(shared_api.texts(user).count(text) == 1 for text in help_texts)
