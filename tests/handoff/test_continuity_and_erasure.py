"""A pupil who had a counsellor goes to that counsellor first; /vergeet erases a case."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.delivery.outbox import Dispatcher
from bot.handoff.tables import CaseMessage
from bot.infra.sql import AuditEntry, Case, OutboxEntry, Pupil
from tests.handoff.support import (
    LIMBURG_CHAT,
    OFFICE_TIME,
    SARA,
    YOUSSEF,
    Counsellor,
    PupilChat,
    RecordingSender,
    cases,
    drain,
)

GROUP = f"tg:{LIMBURG_CHAT}"


async def _helped_by_sara(happ: App, dispatcher: Dispatcher) -> PupilChat:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", network="limburg")
    await drain(happ, dispatcher)
    sara = Counsellor(happ, SARA, LIMBURG_CHAT)
    await sara.press("case:1:claim")
    await sara.press("case:1:close:helped")
    await drain(happ, dispatcher)
    return pupil


async def test_after_a_change_of_school_the_former_counsellor_gets_the_case_first(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = await _helped_by_sara(happ, dispatcher)
    await pupil.set_slots(network="antwerpen")  # moved to a school in Antwerp
    await pupil.press("!intent:ask_human")
    await pupil.press("handoff.consent:none")
    await drain(happ, dispatcher)
    notice = group.to(GROUP)[-1]
    assert notice.text.startswith("🔔 Vraag #2")
    assert "Eerder begeleid door Sara @sara_clb" in notice.text
    assert not group.to("tg:-1002"), "the case went to the new network instead"

    await Counsellor(happ, YOUSSEF, LIMBURG_CHAT, "Youssef").press("case:2:claim")
    await drain(happ, dispatcher)
    assert "eerst voor Sara" in group.texts(GROUP)[-1]
    assert (await cases(happ))[1].status == "pending"
    await Counsellor(happ, SARA, LIMBURG_CHAT).press("case:2:claim")
    assert (await cases(happ))[1].counsellor_id == f"tg:{SARA}"


async def test_the_first_right_of_a_former_counsellor_expires(
    happ: App, dispatcher: Dispatcher
) -> None:
    pupil = await _helped_by_sara(happ, dispatcher)
    await pupil.press("!intent:ask_human")
    await pupil.press("handoff.consent:none")
    happ.handoff.clock = lambda: OFFICE_TIME + timedelta(minutes=16)
    await Counsellor(happ, YOUSSEF, LIMBURG_CHAT, "Youssef").press("case:2:claim")
    assert (await cases(happ))[1].counsellor_id == f"tg:{YOUSSEF}"


async def test_forget_me_during_a_case_erases_it_and_tells_the_counsellors(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("full", network="limburg", situation="heel geheim")
    await drain(happ, dispatcher)
    await Counsellor(happ, SARA, LIMBURG_CHAT).press("case:1:claim")
    await pupil.say("nog iets geheims")  # relayed, not yet delivered
    await pupil.say("/vergeet")
    await pupil.press("forget.confirm:yes")
    await drain(happ, dispatcher)
    assert "gevraagd om alles te wissen" in group.texts(GROUP)[-1]
    assert all("nog iets geheims" not in t for t in group.texts(GROUP))
    async with happ.store.transaction() as session:
        assert (await session.scalars(select(Case))).all() == []
        assert (await session.scalars(select(CaseMessage))).all() == []
        left = (
            await session.scalars(
                select(OutboxEntry).where(
                    OutboxEntry.pupil_id == pupil.id, OutboxEntry.status == "pending"
                )
            )
        ).all()
        assert left == []
        pupil_row = await session.get(Pupil, pupil.id)
        assert pupil_row is None or pupil_row.counsellor_id is None


async def test_audit_log_has_who_what_when_and_never_pupil_text(
    happ: App, dispatcher: Dispatcher
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("full", network="limburg", situation="mijn geheim")
    await drain(happ, dispatcher)
    sara = Counsellor(happ, SARA, LIMBURG_CHAT)
    await sara.press("case:1:claim")
    await sara.press("case:1:transcript")
    await pupil.say("hallo daar")
    await sara.press("case:1:close:referred")
    async with happ.store.transaction() as session:
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [a.action for a in audit] == ["open", "claim", "view_transcript", "close"]
    assert all(a.at is not None and a.actor for a in audit)
    dump = " ".join(f"{a.actor} {a.action} {a.detail}" for a in audit)
    assert "geheim" not in dump and "hallo" not in dump
