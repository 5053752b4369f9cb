"""Counsellor chats: messages and button presses reach the handoff service (in process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.handoff.service import CounsellorInbound, HandoffService
from tests.channels.telegram.conftest import COUNSELLOR_CHAT, serving
from tests.support.fake_bot_api import FakeBotApi


class RecordingHandoff(HandoffService):
    """The real handoff service, remembering what the adapter routed to it."""

    received: list[CounsellorInbound]

    async def handle_counsellor(self, inbound: CounsellorInbound) -> None:
        self.received.append(inbound)


@pytest.fixture
async def handoff(api: FakeBotApi, tmp_path: Path, content_dir: Path
                  ) -> AsyncIterator[RecordingHandoff]:
    """The bot running in this process, polling the fake server, with a recording handoff."""
    def record(app: App) -> None:
        app.handoff = RecordingHandoff(app.content, app.cipher, app.handoff.routing, app.store)
        app.handoff.received = []

    async with serving(api, tmp_path / "data", content_dir, record) as app:
        assert isinstance(app.handoff, RecordingHandoff)
        yield app.handoff


async def test_a_counsellor_message_is_routed_with_its_topic_and_reply(
        api: FakeBotApi, handoff: RecordingHandoff) -> None:
    reply_to = {"message_id": 77, "date": 1_700_000_000,
                "chat": {"id": COUNSELLOR_CHAT, "type": "supergroup", "title": "Team"},
                "from": api.me, "text": "Nieuwe vraag"}
    update_id = api.push_group_text(COUNSELLOR_CHAT, 43, "Hoi, ik ben Sara",
                                    message_thread_id=12, is_topic_message=True,
                                    reply_to_message=reply_to)
    await api.until(lambda: bool(handoff.received))
    inbound = handoff.received[0]
    assert inbound == CounsellorInbound(str(COUNSELLOR_CHAT), "43", "Pupil", str(update_id),
                                        "12", "77", "Hoi, ik ben Sara", None)


async def test_a_counsellor_button_press_is_routed_and_answered(
        api: FakeBotApi, handoff: RecordingHandoff) -> None:
    _, query_id = api.push_group_callback(COUNSELLOR_CHAT, 43, "case:5:claim")
    await api.until(lambda: bool(handoff.received))
    assert handoff.received[0].callback_data == "case:5:claim"
    assert handoff.received[0].user_id == "43"
    await api.until(lambda: any(c.params.get("callback_query_id") == query_id
                                for c in api.calls_of("answerCallbackQuery")))
    assert not api.calls_of("leaveChat")
