"""Honest waiting: office hours, what to do meanwhile, reminders when nobody claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.delivery.outbox import Dispatcher
from bot.handoff.counsellor import CounsellorTexts
from tests.handoff.support import (
    LIMBURG_CHAT,
    OFFICE_TIME,
    SARA,
    WEEKEND_TIME,
    Counsellor,
    PupilChat,
    RecordingSender,
    cases,
    drain,
)

GROUP = f"tg:{LIMBURG_CHAT}"
def brussels(*args: int) -> datetime:
    """A moment given in Brussels winter time (UTC+1)."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=1)  # type: ignore[misc]


def test_when_says_today_tomorrow_or_the_day(happ: App) -> None:
    texts = happ.content.counsellor
    assert isinstance(texts, CounsellorTexts)
    now = brussels(2025, 3, 12, 7, 0)
    assert texts.when(brussels(2025, 3, 12, 9, 0), now) == "vandaag om 9.00 uur"
    assert texts.when(brussels(2025, 3, 13, 9, 30), now) == "morgen om 9.30 uur"
    assert texts.when(brussels(2025, 3, 17, 9, 0), now) == "maandag om 9.00 uur"


async def test_in_office_hours_the_pupil_hears_how_long_it_usually_takes(happ: App) -> None:
    pupil = PupilChat(happ)
    handled = await pupil.ask_for_a_person("none", network="limburg")
    [waiting] = [m for m in handled.messages if "binnen 30 minuten" in m.text]
    assert [b.title for b in waiting.buttons] == ["Vraag intrekken"]


async def test_waiting_text_follows_the_request_and_precedes_the_question_asked_again(
    happ: App,
) -> None:
    """Asked mid-flow: confirmation, then when to expect an answer, then the flow goes on."""
    pupil = PupilChat(happ)
    await pupil.say("/start")
    await pupil.press("!intent:ask_human")
    await pupil.press("handoff.consent:summary")
    texts = pupil.texts
    confirmed = next(i for i, t in enumerate(texts) if "doorgegeven" in t)
    waiting = next(i for i, t in enumerate(texts) if "binnen 30 minuten" in t)
    assert confirmed < waiting < len(texts) - 1
    assert texts[-1].endswith("Waarover wil je praten?")


async def test_outside_office_hours_the_pupil_hears_when_and_what_meanwhile(happ: App) -> None:
    happ.handoff.clock = lambda: WEEKEND_TIME
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("none", network="limburg")
    said = "\n".join(pupil.texts)
    assert "zijn er nu niet" in said and "maandag om 9.00 uur" in said
    assert "CLBch@t" in said and "102" in said and "1813" in said


async def test_nobody_claims_in_time_counsellors_are_reminded_and_the_pupil_told_once(
    happ: App, dispatcher: Dispatcher, group: RecordingSender, pupils: RecordingSender
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("none", network="limburg")
    await drain(happ, dispatcher)
    assert await happ.handoff.remind_unclaimed(OFFICE_TIME + timedelta(minutes=10)) == 0
    assert await happ.handoff.remind_unclaimed(OFFICE_TIME + timedelta(minutes=31)) == 1
    await drain(happ, dispatcher)
    assert "wacht al 31 minuten" in group.texts(GROUP)[-1]
    assert group.to(GROUP)[-1].payload["reply_to"] == group.to(GROUP)[0].message_id
    told = [t for t in pupils.texts(pupil.destination) if "langer dan gewoonlijk" in t]
    assert len(told) == 1
    assert await happ.handoff.remind_unclaimed(OFFICE_TIME + timedelta(minutes=40)) == 0
    assert await happ.handoff.remind_unclaimed(OFFICE_TIME + timedelta(minutes=62)) == 1
    await drain(happ, dispatcher)
    told = [t for t in pupils.texts(pupil.destination) if "langer dan gewoonlijk" in t]
    assert len(told) == 1, "the pupil was told twice"
    await Counsellor(happ, SARA, LIMBURG_CHAT).press("case:1:claim")
    assert await happ.handoff.remind_unclaimed(OFFICE_TIME + timedelta(minutes=120)) == 0


async def test_a_case_from_the_weekend_is_due_only_after_opening_time(
    happ: App, dispatcher: Dispatcher
) -> None:
    happ.handoff.clock = lambda: WEEKEND_TIME
    await PupilChat(happ).ask_for_a_person("none", network="limburg")
    monday_9 = brussels(2025, 3, 17, 9, 0)
    assert await happ.handoff.remind_unclaimed(WEEKEND_TIME + timedelta(hours=3)) == 0
    assert await happ.handoff.remind_unclaimed(monday_9 + timedelta(minutes=5)) == 0
    assert await happ.handoff.remind_unclaimed(monday_9 + timedelta(minutes=31)) == 1
    assert (await cases(happ))[0].reminded_at is not None
