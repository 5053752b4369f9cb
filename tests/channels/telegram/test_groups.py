"""Groups and channels: only counsellor chats are served; elsewhere the bot says so and leaves."""

from __future__ import annotations

import pytest

from bot.flows.model import Content
from tests.channels.telegram.conftest import COUNSELLOR_CHAT
from tests.support.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.usefixtures("shared_bot")


def left(api: FakeBotApi, chat: int) -> bool:
    return any(str(c.params.get("chat_id")) == str(chat) for c in api.calls_of("leaveChat"))


def test_a_message_in_another_group_gets_one_to_one_only_and_the_bot_leaves(
        shared_api: FakeBotApi, content: Content) -> None:
    shared_api.push_group_text(-100501, 42, "hallo bot")
    shared_api.wait_for(lambda: left(shared_api, -100501))
    assert shared_api.texts(-100501) == [content.text("only_private_chats")]


def test_being_added_to_a_group_makes_the_bot_leave_at_once(shared_api: FakeBotApi,
                                                             content: Content) -> None:
    chat = {"id": -100502, "type": "group", "title": "Klas"}
    me = {"id": shared_api.bot_id, "is_bot": True, "first_name": "Wegwijs"}
    shared_api.push({"my_chat_member": {
        "chat": chat, "from": {"id": 42, "is_bot": False, "first_name": "Leerkracht"},
        "date": 1_700_000_000, "old_chat_member": {"user": me, "status": "left"},
        "new_chat_member": {"user": me, "status": "member"}}})
    shared_api.wait_for(lambda: left(shared_api, -100502))
    assert shared_api.texts(-100502) == [content.text("only_private_chats")]


def test_a_channel_post_makes_the_bot_leave_the_channel(shared_api: FakeBotApi) -> None:
    shared_api.push_channel_post(-100503, "nieuws")
    shared_api.wait_for(lambda: left(shared_api, -100503))


def test_the_counsellor_chat_is_neither_answered_nor_left(shared_api: FakeBotApi) -> None:
    shared_api.push_group_text(COUNSELLOR_CHAT, 43, "ik neem deze", message_thread_id=7)
    _, query_id = shared_api.push_group_callback(COUNSELLOR_CHAT, 43, "case:1:claim")
    shared_api.wait_for(lambda: any(c.params.get("callback_query_id") == query_id
                                    for c in shared_api.calls_of("answerCallbackQuery")))
    shared_api.push_group_text(-100504, 42, "marker")  # handled after the counsellor updates
    shared_api.wait_for(lambda: left(shared_api, -100504))
    assert not left(shared_api, COUNSELLOR_CHAT)
    assert shared_api.sent(COUNSELLOR_CHAT) == []
