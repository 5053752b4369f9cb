"""Request, consent, notification, claim, relay both ways, close, feedback (service level)."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.delivery.outbox import Dispatcher
from bot.infra.sql import AuditEntry
from tests.handoff.support import (
    LIMBURG_CHAT,
    SARA,
    STRANGER,
    YOUSSEF,
    Counsellor,
    PupilChat,
    RecordingSender,
    cases,
    drain,
)

GROUP = f"tg:{LIMBURG_CHAT}"
ANSWERS = {
    "network": "limburg",
    "age": 16,
    "importance": 7,
    "situation": "Mijn mama is ziek en ik slaap slecht",
    "plan_goal": "Diploma halen",
    "plan_shared": "no",
}


async def claimed_case(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> tuple[PupilChat, Counsellor, int]:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", **ANSWERS)
    await drain(happ, dispatcher)
    case_id = (await cases(happ))[-1].id
    sara = Counsellor(happ, SARA, LIMBURG_CHAT)
    await sara.press(f"case:{case_id}:claim")
    await drain(happ, dispatcher)
    return pupil, sara, case_id


async def test_consent_question_shows_what_the_counsellor_will_see(happ: App) -> None:
    pupil = PupilChat(happ)
    await pupil.say("/start")
    await pupil.press("!intent:ask_human")
    shown = "\n".join(pupil.texts)
    assert "samenvatting" in shown and "ons gesprek" in shown
    buttons = [b.payload for m in pupil.last.messages for b in m.buttons]  # type: ignore[union-attr]
    assert buttons == [
        "handoff.consent:full",
        "handoff.consent:summary",
        "handoff.consent:none",
        "handoff.consent:cancel",
    ]
    assert await cases(happ) == []


async def test_cancel_at_the_consent_question_opens_no_case(happ: App) -> None:
    pupil = PupilChat(happ)
    await pupil.say("/start")
    await pupil.press("!intent:ask_human")
    await pupil.press("handoff.consent:cancel")
    assert await cases(happ) == []


async def test_summary_consent_shares_answers_but_not_the_pupils_own_words(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", **ANSWERS)
    assert any(t.startswith("De begeleiders van Limburg zijn er nu") for t in pupil.texts)
    await drain(happ, dispatcher)
    [notice] = group.to(GROUP)
    assert "Leeftijd: 16" in notice.text and "(0-10): 7" in notice.text
    assert "ziek" not in notice.text, "a private answer was shared without full consent"
    assert "Diploma halen" not in notice.text, "the plan was shared though plan_shared=no"
    assert [b["payload"] for b in notice.buttons] == ["case:1:claim", "case:1:close"]
    assert all(len(b["payload"].encode()) <= 64 for b in notice.buttons)
    assert (await cases(happ))[0].thread_ref == str(notice.message_id)


async def test_full_consent_shares_own_words_and_offers_the_conversation(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("full", **{**ANSWERS, "plan_shared": "yes"})
    await drain(happ, dispatcher)
    [notice] = group.to(GROUP)
    assert "Mijn mama is ziek" in notice.text and "Diploma halen" in notice.text
    assert "case:1:transcript" in [b["payload"] for b in notice.buttons]


async def test_no_consent_shares_nothing_but_the_request(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("none", **ANSWERS)
    await drain(happ, dispatcher)
    [notice] = group.to(GROUP)
    assert "deelt niets vooraf" in notice.text
    assert "16" not in notice.text.split("Gevraagd om")[0]
    assert "Leeftijd" not in notice.text and "ziek" not in notice.text


async def test_without_network_the_default_chat_gets_the_case(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    await PupilChat(happ).ask_for_a_person("summary")
    await drain(happ, dispatcher)
    assert len(group.to("tg:-1001")) == 1


async def test_claim_relay_both_ways_close_and_feedback(
    happ: App, dispatcher: Dispatcher, group: RecordingSender, pupils: RecordingSender
) -> None:
    pupil, sara, case_id = await claimed_case(happ, dispatcher, group)
    hello = pupils.texts(pupil.destination)[-1]
    assert hello.startswith("Sara (CLB-medewerker) is er nu voor je")
    thread = (await cases(happ))[0].thread_ref
    assert group.to(GROUP)[-1].payload["reply_to"] == int(thread or 0)

    handled = await pupil.say("Hoi, ik weet niet meer wat ik moet doen")
    assert handled.relayed and handled.messages == (), "the bot talked over the counsellor"
    await drain(happ, dispatcher)
    relayed = group.to(GROUP)[-1]
    assert relayed.text == f"💬 Jongere (#{case_id}): Hoi, ik weet niet meer wat ik moet doen"
    assert relayed.payload["reply_to"] == int(thread or 0)

    await sara.reply(relayed.message_id, "Dag! Vertel eens, wat is er gebeurd?")
    await drain(happ, dispatcher)
    assert (
        pupils.texts(pupil.destination)[-1]
        == "Sara (CLB-medewerker): Dag! Vertel eens, wat is er gebeurd?"
    )
    assert "Peeters" not in "".join(pupils.texts(pupil.destination))

    await sara.press(f"case:{case_id}:close")
    await drain(happ, dispatcher)
    outcomes = [b["payload"] for b in group.to(GROUP)[-1].buttons]
    assert f"case:{case_id}:close:helped" in outcomes
    await sara.press(f"case:{case_id}:close:helped")
    await drain(happ, dispatcher)
    assert (await cases(happ))[0].status == "closed"
    assert (await cases(happ))[0].outcome == "helped"
    to_pupil = pupils.texts(pupil.destination)
    assert to_pupil[-2] == "Sara heeft het gesprek afgerond."
    assert "had je iets aan dit gesprek" in to_pupil[-1]
    feedback = pupils.to(pupil.destination)[-1].buttons[0]["payload"]
    await pupil.press(feedback)
    assert pupil.texts[-2].startswith("Dank je!")
    assert pupil.texts[-1] == "Mag ik je over een week vragen hoe het ging?"  # a check-in
    handled = await pupil.say("hallo")
    assert not handled.relayed, "after the close the bot talks again"


async def test_a_strangers_claim_is_refused_and_audited(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    await PupilChat(happ).ask_for_a_person("summary", **ANSWERS)
    await drain(happ, dispatcher)
    await Counsellor(happ, STRANGER, LIMBURG_CHAT, "Mallory").press("case:1:claim")
    await drain(happ, dispatcher)
    assert (await cases(happ))[0].status == "pending"
    assert "niet op de lijst" in group.to(GROUP)[-1].text
    async with happ.store.transaction() as session:
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(a.actor, a.action) for a in audit][-1] == (f"tg:{STRANGER}", "refused")


async def test_a_claim_from_another_networks_chat_is_refused(
    happ: App, dispatcher: Dispatcher
) -> None:
    await PupilChat(happ).ask_for_a_person("summary", **ANSWERS)
    await drain(happ, dispatcher)
    await Counsellor(happ, SARA, "-1002").press("case:1:claim")
    assert (await cases(happ))[0].status == "pending"


async def test_only_the_counsellor_who_claimed_talks_with_the_pupil(
    happ: App, dispatcher: Dispatcher, group: RecordingSender, pupils: RecordingSender
) -> None:
    pupil, _, case_id = await claimed_case(happ, dispatcher, group)
    before = len(pupils.to(pupil.destination))
    youssef = Counsellor(happ, YOUSSEF, LIMBURG_CHAT, "Youssef")
    await youssef.reply(group.to(GROUP)[0].message_id, "Ik neem over")
    await youssef.press(f"case:{case_id}:claim")
    await drain(happ, dispatcher)
    assert len(pupils.to(pupil.destination)) == before
    assert "Alleen Sara" in group.texts(GROUP)[-2]
    assert "al opgenomen door Sara" in group.texts(GROUP)[-1]


async def test_counsellors_talking_among_themselves_is_not_relayed(
    happ: App, dispatcher: Dispatcher, group: RecordingSender, pupils: RecordingSender
) -> None:
    pupil, sara, _ = await claimed_case(happ, dispatcher, group)
    before = len(pupils.to(pupil.destination))
    await sara.say("Koffie iemand?")
    await drain(happ, dispatcher)
    assert len(pupils.to(pupil.destination)) == before


async def test_a_duplicate_counsellor_update_is_handled_once(
    happ: App, dispatcher: Dispatcher, group: RecordingSender, pupils: RecordingSender
) -> None:
    pupil, sara, _ = await claimed_case(happ, dispatcher, group)
    target = group.to(GROUP)[0].message_id
    await sara.reply(target, "Eén keer", update_id="777")
    await sara.reply(target, "Eén keer", update_id="777")
    await drain(happ, dispatcher)
    assert pupils.texts(pupil.destination).count("Sara (CLB-medewerker): Eén keer") == 1


async def test_pupil_stop_during_the_talk_ends_it_and_asks_feedback(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil, sara, case_id = await claimed_case(happ, dispatcher, group)
    await pupil.say("/stop")
    assert pupil.texts[0] == "Oké, het gesprek met de begeleider is beëindigd."
    assert "had je iets aan dit gesprek" in pupil.texts[-1]
    await drain(happ, dispatcher)
    assert "beëindigd" in group.texts(GROUP)[-1]
    assert (await cases(happ))[0].status == "ended"
    await sara.press(f"case:{case_id}:close:appointment")
    await drain(happ, dispatcher)
    case = (await cases(happ))[0]
    assert (case.status, case.outcome) == ("closed", "appointment")


async def test_end_button_during_the_talk_ends_it(
    happ: App, dispatcher: Dispatcher, group: RecordingSender, pupils: RecordingSender
) -> None:
    pupil, _, _ = await claimed_case(happ, dispatcher, group)
    end = pupils.to(pupil.destination)[-1].buttons[0]["payload"]
    await pupil.press(end)
    assert (await cases(happ))[0].status == "ended"


async def test_pupil_can_withdraw_while_waiting(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", **ANSWERS)
    await pupil.press(pupil.button("Vraag intrekken"))
    assert "ingetrokken" in pupil.texts[0]
    await drain(happ, dispatcher)
    assert (await cases(happ))[0].status == "cancelled"
    assert "ingetrokken" in group.texts(GROUP)[-1]
    await Counsellor(happ, SARA, LIMBURG_CHAT).press("case:1:claim")
    await drain(happ, dispatcher)
    assert "niet meer open" in group.texts(GROUP)[-1]


async def test_stale_bot_buttons_stay_silent_during_the_talk(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil, _, _ = await claimed_case(happ, dispatcher, group)
    handled = await pupil.press("welcome.menu:routes")
    assert handled.messages == ()


async def test_a_second_request_while_waiting_opens_no_second_case(happ: App) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", **ANSWERS)
    await pupil.press("!intent:ask_human")
    await pupil.press("handoff.consent:none")
    assert len(await cases(happ)) == 1
    assert any("loopt al" in t for t in pupil.texts)


async def test_transcript_is_shown_only_with_full_consent_and_audited(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = PupilChat(happ)
    await pupil.say("/start")
    await pupil.say("ik zit niet goed in mijn vel")
    await pupil.press("!intent:ask_human")
    await pupil.press("handoff.consent:full")
    await drain(happ, dispatcher)
    await Counsellor(happ, SARA, "-1001").press("case:1:transcript")
    await drain(happ, dispatcher)
    shown = group.texts("tg:-1001")[-1]
    assert "Jongere: ik zit niet goed in mijn vel" in shown
    assert "Wegwijs: " in shown
    async with happ.store.transaction() as session:
        actions = [a.action for a in (await session.scalars(select(AuditEntry))).all()]
    assert "view_transcript" in actions


async def test_transcript_is_refused_without_full_consent(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = PupilChat(happ)
    await pupil.say("/start")
    await pupil.say("geheim verhaal")
    await pupil.press("!intent:ask_human")
    await pupil.press("handoff.consent:summary")
    await drain(happ, dispatcher)
    await Counsellor(happ, SARA, "-1001").press("case:1:transcript")
    await drain(happ, dispatcher)
    assert all("geheim" not in t for t in group.texts("tg:-1001"))
    assert "geen toestemming" in group.texts("tg:-1001")[-1]
