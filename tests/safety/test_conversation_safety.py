"""Safety over a whole conversation (issue 15): memory of risk, calm recovery, graded replies.

Every test drives the real conversation service on SQLite (fixture `app` in conftest.py).
"""

from __future__ import annotations

import pytest

from bot.app import App
from bot.flows.nlu import NluResult
from bot.flows.state import State
from bot.infra.sql import Pupil as PupilRow
from tests.safety.support import PERSON, Pupil, ScriptedNlu, alerts, claim, outbox

SAFE_NOW = "Ben je nu veilig?"
BACK = "Terug naar waar we waren"
SORRY = "Sorry, dan had ik je verkeerd begrepen."
GO_ON = "Wil je daar nu over verder praten?"
AMBIGUOUS = (
    "ik stop er gewoon mee. met alles.",
    "heel zeker. het heeft toch allemaal geen zin meer",
)


async def state_of(app: App, pupil: Pupil) -> State:
    """The pupil's saved conversation state."""
    pupil_id = app.cipher.pseudonym("telegram", pupil.ref)
    async with app.store.transaction() as session:
        row = await session.get(PupilRow, pupil_id)
        assert row is not None and row.state is not None
        return State.from_json(app.cipher.open(row.state))


async def disclose(pupil: Pupil) -> None:
    """An unclear line, then "soms wel ja" to the check question: the crisis reply follows."""
    handled = await pupil.send("ik weet het niet, alles is zinloos")
    assert handled.safety == "check"
    await pupil.send("soms wel ja")
    assert SAFE_NOW in pupil.texts and "1813" in pupil.texts


# --- memory of risk ---------------------------------------------------------------------------

FLOW_ANSWERS = {
    # flow: a first answer to its first question, then a neutral turn, before the ambiguous lines
    "quit_school": ("school is gewoon saai en mijn punten zijn slecht", "ik weet het niet goed"),
    "truancy": ("ik slaap slecht en dan raak ik niet op tijd", "een paar dagen"),
}


@pytest.mark.parametrize("flow", FLOW_ANSWERS)
async def test_after_a_disclosure_ambiguous_lines_a_few_turns_later_get_the_check_or_crisis(
    app: App, flow: str
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button=f"!flow:{flow}")
    await disclose(pupil)
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press(BACK)
    assert GO_ON in pupil.texts  # a talk about school asks first
    await pupil.press("Ja")
    for answer in FLOW_ANSWERS[flow]:
        handled = await pupil.send(answer)
        assert handled.safety is None, answer
    assert (await state_of(app, pupil)).slots.get("risk") == "disclosed"
    for line in AMBIGUOUS:
        handled = await pupil.send(line)
        assert handled.safety in {"check", "crisis"}, line
        assert "1813" in pupil.texts
        assert "leerplicht" not in pupil.texts.lower()


@pytest.mark.parametrize("flow", FLOW_ANSWERS)
async def test_without_a_disclosure_the_same_lines_stay_in_the_flow(app: App, flow: str) -> None:
    # the control: it is the memory that makes these lines a safety question
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button=f"!flow:{flow}")
    handled = await pupil.send(AMBIGUOUS[0])
    assert handled.safety is None
    assert "1813" not in pupil.texts


async def test_the_memory_also_holds_while_the_pupil_waits_for_a_person(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:quit_school")
    await disclose(pupil)
    await pupil.press(PERSON)  # an urgent case, not yet claimed
    for line in AMBIGUOUS:
        handled = await pupil.send(line)
        assert handled.safety in {"check", "crisis"}, line
        assert "1813" in pupil.texts


async def test_the_memory_also_holds_during_a_talk_with_a_counsellor(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:truancy")
    await disclose(pupil)
    await pupil.press(PERSON)
    case = await claim(app)
    before = len([e for e, _ in await outbox(app) if e.case_id == case.id])
    for line in AMBIGUOUS:
        handled = await pupil.send(line)
        assert handled.safety in {"check", "crisis"}, line
        assert not handled.relayed
        assert "1813" in pupil.texts
    # the counsellor reads both lines too
    relayed = [e for e, _ in await outbox(app) if e.case_id == case.id]
    assert len(relayed) >= before + len(AMBIGUOUS)


async def test_during_a_talk_without_a_disclosure_an_unclear_line_goes_to_the_counsellor(
    app: App,
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send("/mens")
    await pupil.press("Niets, ik vertel het zelf")
    await claim(app)
    handled = await pupil.send("alles is zinloos")
    assert handled.relayed and handled.messages == ()


# --- calm recovery ----------------------------------------------------------------------------


async def at_the_motivation_question(app: App) -> tuple[Pupil, str]:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:motivation")
    step = app.content.flows["motivation"].step("importance")
    assert step is not None
    question = step.texts[-1]
    assert question in pupil.texts
    return pupil, question


@pytest.mark.parametrize("denial", ["wtf?? ik ben ni suïcidaal", "grapje", "wtf nee"])
async def test_after_a_false_alarm_one_short_sorry_and_back_to_the_same_question(
    app: App, denial: str
) -> None:
    pupil, question = await at_the_motivation_question(app)
    await pupil.send("ik wil dood")
    assert SAFE_NOW in pupil.texts
    handled = await pupil.send(denial)
    assert handled.safety is None
    assert pupil.messages[0].startswith(SORRY)
    assert sum(SORRY in m for m in pupil.messages) == 1
    assert len(pupil.messages) == 2 and question in pupil.messages[1]
    assert "1813" not in pupil.texts and SAFE_NOW not in pupil.texts
    assert "0" in pupil.buttons and "10" in pupil.buttons
    assert (await state_of(app, pupil)).slots.get("risk") is None
    await pupil.press("7")
    assert question not in pupil.texts


async def test_after_a_false_check_one_short_sorry_and_back(app: App) -> None:
    pupil, question = await at_the_motivation_question(app)
    await pupil.send("alles is zinloos")
    assert pupil.last is not None and pupil.last.safety == "check"
    await pupil.send("wtf nee")
    assert pupil.messages[0].startswith(SORRY) and question in pupil.messages[-1]
    assert len(pupil.messages) == 2


async def test_ja_ik_ben_nu_veilig_is_asked_once_and_taken(app: App) -> None:
    pupil, question = await at_the_motivation_question(app)
    await pupil.send("ik wil dood")
    assert pupil.texts.count(SAFE_NOW) == 1
    await pupil.send("Ja, ik ben nu veilig")
    assert SAFE_NOW not in pupil.texts
    assert BACK in pupil.buttons
    await pupil.press(BACK)
    assert SAFE_NOW not in pupil.texts
    # after a crisis reply a talk about school asks first whether to go on (one question)
    assert GO_ON in pupil.texts
    await pupil.press("Ja")
    assert question in pupil.texts
    handled = await pupil.press("7")
    assert handled.safety is None and SAFE_NOW not in pupil.texts
    assert len(await alerts(app)) == 1


# --- graded replies ---------------------------------------------------------------------------


async def test_panic_without_an_emergency_gets_calm_grounding_first_and_no_alert(
    app: App,
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    handled = await pupil.send(
        "mijn hart gaat tekeer en ik kan niet ademen als ik de schoolpoort zie"
    )
    assert handled.safety == "care"
    assert "112" not in pupil.messages[0]
    assert "adem" in pupil.texts and "Is het nu een noodgeval?" in pupil.texts
    assert SAFE_NOW not in pupil.texts
    await pupil.press("Nee, het gaat al wat beter")
    assert "112" not in pupil.texts and "102" in pupil.texts
    assert await alerts(app) == []


async def test_panic_that_is_an_emergency_now_gets_112(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send("mijn hart gaat tekeer en ik kan niet ademen als ik de schoolpoort zie")
    await pupil.press("Ja, het is nu een noodgeval")
    assert "112" in pupil.texts


async def test_a_physical_complaint_gets_the_huisarts_and_1733(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    handled = await pupil.send("ik heb pijn in mijn hoofd")
    assert handled.safety == "care"
    assert "huisarts" in pupil.texts and "1733" in pupil.texts
    assert "1813" not in pupil.texts and SAFE_NOW not in pupil.texts
    assert app.content.patterns.rephrase not in pupil.texts
    assert await alerts(app) == []


# --- the examples of issue 15 -----------------------------------------------------------------

# Rasa's `crisis` confidence for each line, measured with the real model (2026-12-06); the
# test runs each line without Rasa and with that parse.
RASA_CRISIS = {
    "ik neem de bus want die is sneller": 0.009,
    "ik wil dood graag naar die concert": 0.998,
    "mijn hart gaat tekeer en ik kan niet ademen als ik de schoolpoort zie": 0.042,
    "ik ben het leven op school beu": 0.960,
    "ik verveel me dood in de les": 0.026,
    "de leerkracht vermoordt ons met huiswerk": 0.018,
    "ik wil een plan maken voor later": 0.872,
    "Hij zegt dat hij buikpijn heeft elke ochtend": 0.988,
    "ze gaat boos zijn": 0.138,
}
EXAMPLES = [
    # (line, safety level, fragments the reply must contain)
    ("ik neem de bus want die is sneller", None, ()),
    ("ik wil dood graag naar die concert", None, ()),
    (
        "mijn hart gaat tekeer en ik kan niet ademen als ik de schoolpoort zie",
        "care",
        ("adem", "noodgeval"),
    ),
    ("ik ben het leven op school beu", None, ()),
    ("ik verveel me dood in de les", None, ()),
    ("de leerkracht vermoordt ons met huiswerk", None, ()),
    ("ik wil een plan maken voor later", None, ("plan",)),
    ("Hij zegt dat hij buikpijn heeft elke ochtend", "care", ("huisarts", "1733")),
    ("ze gaat boos zijn", None, ()),
]


@pytest.mark.parametrize("with_rasa", [False, True], ids=["rules", "rasa"])
@pytest.mark.parametrize(("line", "level", "fragments"), EXAMPLES)
async def test_each_example_of_the_issue_gets_the_fitting_reply(
    app: App, line: str, level: str | None, fragments: tuple[str, ...], with_rasa: bool
) -> None:
    if with_rasa:
        score = RASA_CRISIS[line]
        app.service.nlu = ScriptedNlu(NluResult("crisis", score, ranking=(("crisis", score),)))
    pupil = Pupil(app)
    await pupil.send("/start")
    handled = await pupil.send(line)
    assert handled.safety == level
    assert "1813" not in pupil.texts and SAFE_NOW not in pupil.texts
    assert not pupil.messages[0].startswith("Bel nu")
    for fragment in fragments:
        assert fragment in pupil.texts
    assert await alerts(app) == []


# --- no pep talk without asking after a disclosure --------------------------------------------

@pytest.mark.parametrize(("flow", "first"), [("quit_school", "Je denkt erover om te stoppen"),
                                             ("motivation", "Ik stel je een paar vragen")])
async def test_after_a_disclosure_a_talk_about_school_starts_only_when_the_pupil_wants(
    app: App, flow: str, first: str
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await disclose(pupil)
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press(BACK)
    await pupil.send(button=f"!flow:{flow}")
    assert GO_ON in pupil.texts and first not in pupil.texts
    await pupil.send("nee")
    assert first not in pupil.texts and "1813" in pupil.texts
    await pupil.send(button=f"!flow:{flow}")
    assert GO_ON in pupil.texts
    await pupil.press("Ja")
    assert first in pupil.texts


@pytest.mark.parametrize("flow", ["quit_school", "motivation"])
async def test_without_a_disclosure_a_talk_about_school_starts_at_once(
    app: App, flow: str
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button=f"!flow:{flow}")
    assert GO_ON not in pupil.texts


async def test_a_talk_about_school_is_not_resumed_after_a_disclosure_without_asking(
    app: App,
) -> None:
    pupil, question = await at_the_motivation_question(app)
    await disclose(pupil)
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press(BACK)
    assert GO_ON in pupil.texts and question not in pupil.texts
    assert "Wat wil ik echt?" in pupil.texts  # the talk it asks about, by its title
    await pupil.press("Ja")
    assert question in pupil.texts and GO_ON not in pupil.texts
    await pupil.press("7")  # back exactly where the pupil was: the answer is taken
    assert question not in pupil.texts
    assert (await state_of(app, pupil)).slots.get("importance") == "7"


async def test_no_to_going_on_after_a_disclosure_leaves_the_talk_about_school(app: App) -> None:
    pupil, question = await at_the_motivation_question(app)
    await disclose(pupil)
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press(BACK)
    await pupil.press("Nee, nu niet")
    assert "1813" in pupil.texts and question not in pupil.texts
    assert (await state_of(app, pupil)).stack == ()
    handled = await pupil.send("7")  # no question waits any more: not taken as an answer
    assert (await state_of(app, pupil)).slots.get("importance") is None, handled.messages


async def test_after_a_crisis_reply_too_the_talk_about_school_is_not_resumed_without_asking(
    app: App,
) -> None:
    pupil, question = await at_the_motivation_question(app)
    await pupil.send("ik wil dood")
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press(BACK)
    assert GO_ON in pupil.texts and question not in pupil.texts


async def test_after_a_false_alarm_the_talk_goes_on_without_asking(app: App) -> None:
    pupil, question = await at_the_motivation_question(app)
    await pupil.send("ik wil dood")
    await pupil.send("grapje")
    assert question in pupil.texts and GO_ON not in pupil.texts


async def test_a_flow_that_may_always_go_on_is_resumed_at_once_after_a_disclosure(
    app: App,
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:wellbeing")
    assert app.content.flows["wellbeing"].resume_after_risk == "always"
    waiting = pupil.messages[-1]
    await disclose(pupil)
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press(BACK)
    assert GO_ON not in pupil.texts and waiting in pupil.texts
