"""End to end through the real conversation service: screen, alert, crisis flow, and after."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.app import App
from bot.flows.nlu import NluResult
from bot.infra.sql import Case
from tests.safety.support import PERSON, Pupil, ScriptedNlu, alerts, outbox


async def test_a_crisis_on_the_first_turn_gets_the_reply_and_a_persisted_alert(app: App) -> None:
    pupil = Pupil(app)
    handled = await pupil.send("ik wil dood")
    assert handled.safety == "crisis"
    assert "1813" in pupil.texts and "112" in pupil.texts
    assert PERSON in pupil.buttons
    found = await alerts(app)
    assert len(found) == 1
    entry, payload = found[0]
    assert "ik wil dood" not in json.dumps(payload)
    replies = [e for e, p in await outbox(app) if e.destination.startswith("pupil:")]
    assert replies and all(e.id > entry.id for e in replies)


async def test_a_crisis_at_a_number_question_is_not_taken_as_the_answer(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:motivation")
    question = app.content.flows["motivation"].step("importance")
    assert question is not None and question.texts[-1] in pupil.texts
    await pupil.send("0 want ik wil er niet meer zijn")
    assert pupil.last is not None and pupil.last.safety == "crisis"
    assert "1813" in pupil.texts
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press("Terug naar waar we waren")
    await pupil.press("Ja")  # after a disclosure a talk about school asks first (bot.flows.risk)
    assert question.texts[-1] in pupil.texts


async def test_a_crisis_at_a_free_text_question_is_not_stored_as_the_answer(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:motivation")
    await pupil.press("7")
    step = app.content.flows["motivation"].step("importance_why")
    assert step is not None and app.content.slots[step.collect or ""].type == "text"
    assert step.texts[-1].split("{")[0] in pupil.texts
    handled = await pupil.send("mijn vader slaat mij elke dag")
    assert handled.safety == "crisis"
    assert "1712" in pupil.texts
    await pupil.press(PERSON)
    async with app.store.transaction() as session:
        case = (await session.scalars(select(Case))).one()
    assert (case.kind, case.priority) == ("crisis", "urgent")


async def test_degraded_mode_still_gives_the_crisis_reply(app: App) -> None:
    app.service.nlu = ScriptedNlu(None)
    pupil = Pupil(app)
    await pupil.send("/start")
    handled = await pupil.send("kheb net te veel pillen geslikt")
    assert handled.safety == "crisis"
    assert "112" in pupil.texts
    assert len(await alerts(app)) == 1


async def test_hyperbole_gets_no_crisis_reply_and_no_alert(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    for text in ("ik ga dood van het lachen", "ik ben doodmoe", "die toets was zelfmoord"):
        handled = await pupil.send(text)
        assert handled.safety is None
        assert "1813" not in pupil.texts
    assert await alerts(app) == []


async def test_a_known_command_alone_is_the_menu_but_a_command_with_words_is_screened(
    app: App,
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    for command in ("/help", "/stop", "/privacy"):
        handled = await pupil.send(command)
        assert handled.safety is None, command
    assert "1813" not in pupil.texts and "112" not in " ".join(pupil.texts)
    handled = await pupil.send("/help ik wil dood")
    assert handled.safety == "crisis"
    handled = await pupil.send("/ikwildood")
    assert handled.safety == "crisis"
    # at most one priority alert per pupil in safety.yml `heightened.alert_minutes`
    assert len(await alerts(app)) == 1


async def test_a_bare_help_gets_the_check_question_not_the_emergency_reply(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    handled = await pupil.send("help")
    assert handled.safety == "check"
    assert await alerts(app) == []


async def test_an_unclear_line_gets_the_gentle_check_question_without_alert(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    handled = await pupil.send("alles is zinloos")
    assert handled.safety == "check"
    assert "Nee" in pupil.buttons
    await pupil.send("nee")
    assert "102" in pupil.texts
    assert await alerts(app) == []


async def test_the_nlu_crisis_intent_alone_raises_a_check(app: App) -> None:
    app.service.nlu = ScriptedNlu(NluResult("crisis", 0.99, ranking=(("crisis", 0.99),)))
    pupil = Pupil(app)
    await pupil.send("/start")
    handled = await pupil.send("het gaat niet zo goed met mij")
    assert handled.safety == "check"


async def test_the_pupil_can_see_the_lines_again_and_go_back_after_the_reply(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    menu_flow = app.content.flows[app.content.patterns.menu_flow]
    question = next(step for step in menu_flow.steps if step.kind == "ask").texts[-1]
    assert question in pupil.texts
    await pupil.send("er staat iemand met een mes voor de deur")
    assert pupil.texts.index("112") < 40
    await pupil.press("Nee")
    await pupil.press("Toon de hulplijnen")
    assert "101" in pupil.texts
    await pupil.press("Terug naar waar we waren")
    assert question in pupil.texts
