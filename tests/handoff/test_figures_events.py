"""What a case adds to the anonymous figures: requested, claimed and closed, with the minutes
waited and the outcome, and what a conversation adds: never a pupil id or a pupil's words."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.delivery.outbox import Dispatcher
from bot.infra.tracking import Event
from tests.handoff.support import (
    LIMBURG_CHAT,
    OFFICE_TIME,
    SARA,
    Counsellor,
    PupilChat,
    cases,
    drain,
)


async def all_events(app: App) -> list[tuple[str, str, str, int | None]]:
    async with app.store.transaction() as session:
        rows = (await session.scalars(select(Event).order_by(Event.id))).all()
    return [(e.kind, e.network, e.detail, e.value) for e in rows]


async def test_a_case_is_counted_with_its_waiting_minutes_and_outcome(
        happ: App, dispatcher: Dispatcher) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", network="limburg", situation="ik ben het beu")
    await drain(happ, dispatcher)
    case_id = (await cases(happ))[-1].id
    sara = Counsellor(happ, SARA, LIMBURG_CHAT)
    happ.handoff.clock = lambda: OFFICE_TIME + timedelta(minutes=25)
    await sara.press(f"case:{case_id}:claim")
    happ.handoff.clock = lambda: OFFICE_TIME + timedelta(minutes=70)
    await sara.press(f"case:{case_id}:close:helped")
    found = [e for e in await all_events(happ) if e[0].startswith("handoff")]
    assert found == [
        ("handoff_requested", "limburg", "human", None),
        ("handoff_claimed", "limburg", "human", 25),
        ("handoff_closed", "limburg", "helped", 70),
    ]


async def test_a_conversation_is_counted_without_its_words(happ: App) -> None:
    pupil = PupilChat(happ)
    await pupil.say("/start")
    await pupil.press("welcome.menu:wellbeing")
    await pupil.say("ik wil dood")  # the crisis reply, and a safety event
    found = await all_events(happ)
    kinds = [kind for kind, *_ in found]
    assert kinds.count("conversation_started") == 1
    assert ("safety", "onbekend", "crisis", None) in found
    assert any(kind == "topic" for kind in kinds)
    words = {"ik", "wil", "dood"}
    assert not any(set(detail.split()) & words for _, _, detail, _ in found)
