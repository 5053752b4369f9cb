"""A disclosure at the check question, and buttons during a talk with a counsellor (issue 15).

"ja" or "soms" to "Denk je eraan om jezelf iets aan te doen?" is a disclosure: the crisis
reply and one priority alert (at most one per pupil in `heightened.alert_minutes`). During a
live talk a button press reaches the counsellor as the button's title; the bot stays silent,
except for its own safety questions. The real conversation service on SQLite throughout.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.delivery.outbox import URGENT
from bot.flows.state import State
from bot.infra.sql import Pupil as PupilRow
from bot.infra.sql import utcnow
from tests.safety.support import PERSON, Pupil, alerts, claim, outbox

SAFE_NOW = "Ben je nu veilig?"
CHECK = "Denk je eraan om jezelf iets aan te doen?"
UNCLEAR = "ik weet het niet, alles is zinloos"
AMBIGUOUS = "heel zeker. het heeft toch allemaal geen zin meer"


async def safety_alerts(app: App) -> list[str]:
    """The texts of the priority safety alerts (not the notices of urgent cases)."""
    return [
        str(payload.get("text", ""))
        for _, payload in await alerts(app)
        if "Veiligheidsmelding" in str(payload.get("text", ""))
    ]


async def counsellor_lines(app: App, case_id: int) -> list[str]:
    """Everything that went to the counsellor thread of the case."""
    return [str(p.get("text", "")) for e, p in await outbox(app) if e.case_id == case_id]


async def age_the_last_alert(app: App, pupil: Pupil, minutes: int) -> None:
    """Move the pupil's last alert back in time (as if the window had passed)."""
    pupil_id = app.cipher.pseudonym("telegram", pupil.ref)
    async with app.store.transaction() as session:
        row = await session.get(PupilRow, pupil_id)
        assert row is not None and row.state is not None
        state = State.from_json(app.cipher.open(row.state))
        assert state.slots.get("risk_alerted")
        then = (utcnow() - timedelta(minutes=minutes)).isoformat()
        row.state = app.cipher.seal(state.with_slots(risk_alerted=then).to_json())


# --- "ja" / "soms" at the check question ------------------------------------------------------


@pytest.mark.parametrize(
    "answer", ["soms wel ja", "ja", "soms", "Ja, ik denk eraan mezelf iets aan te doen"]
)
async def test_yes_or_sometimes_at_the_check_is_a_disclosure_with_one_alert(
    app: App, answer: str
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:quit_school")
    handled = await pupil.send(UNCLEAR)
    assert handled.safety == "check" and CHECK in pupil.texts
    assert await safety_alerts(app) == []
    if answer.startswith("Ja,"):
        await pupil.press(answer)
    else:
        await pupil.send(answer)
    assert SAFE_NOW in pupil.texts and "1813" in pupil.texts and "112" in pupil.texts
    assert PERSON in pupil.buttons
    found = await safety_alerts(app)
    assert len(found) == 1
    assert "zinloos" not in found[0] and answer not in found[0]  # never the pupil's words


async def test_someone_hurts_me_at_the_check_gets_1712_and_one_alert(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(UNCLEAR)
    await pupil.press("Ja, iemand doet me pijn")
    assert "1712" in pupil.texts and SAFE_NOW in pupil.texts
    assert len(await safety_alerts(app)) == 1


async def test_no_at_the_check_is_no_disclosure_and_no_alert(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(UNCLEAR)
    await pupil.send("nee")
    assert SAFE_NOW not in pupil.texts
    assert await safety_alerts(app) == []


async def test_a_second_disclosure_in_the_window_raises_no_second_alert(app: App) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:truancy")
    await pupil.send(UNCLEAR)
    await pupil.send("soms wel ja")
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press("Terug naar waar we waren")
    await pupil.press("Ja")  # go on with the talk about truancy
    handled = await pupil.send(AMBIGUOUS)  # heightened: the check again
    assert handled.safety in {"check", "crisis"}
    if handled.safety == "check":
        await pupil.send("ja")
    assert SAFE_NOW in pupil.texts
    assert len(await safety_alerts(app)) == 1
    # after the window a new disclosure alerts again
    await age_the_last_alert(app, pupil, minutes=120)
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.press("Terug naar waar we waren")
    await pupil.send(UNCLEAR)
    await pupil.send("soms")
    assert len(await safety_alerts(app)) == 2


async def test_yes_at_the_check_during_a_talk_alerts_the_counsellor_of_the_case(
    app: App,
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(UNCLEAR)
    await pupil.send("soms")
    assert len(await safety_alerts(app)) == 1
    await pupil.send("/mens")
    await pupil.press("Niets, ik vertel het zelf")
    case = await claim(app)
    await age_the_last_alert(app, pupil, minutes=120)
    handled = await pupil.send(AMBIGUOUS)  # heightened: the crisis reply, the counsellor reads
    assert handled.safety == "crisis" and "1813" in pupil.texts and SAFE_NOW in pupil.texts
    handled = await pupil.send("ja")  # the bot's own safety question takes the answer
    assert not handled.relayed
    found = await safety_alerts(app)
    assert len(found) == 2 and f"#{case.id}" in found[-1]
    lines = await counsellor_lines(app, case.id)
    assert any(AMBIGUOUS in line for line in lines)
    assert any(line.endswith(": ja") for line in lines)  # the counsellor reads the answer too


# --- buttons during a talk with a counsellor --------------------------------------------------


async def in_a_talk(app: App) -> tuple[Pupil, int]:
    """A pupil in the quit-school talk asks for a person; a counsellor claims the case."""
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send(button="!flow:motivation")
    await pupil.send("/mens")
    await pupil.press("Niets, ik vertel het zelf")
    case = await claim(app)
    return pupil, case.id


async def test_a_button_during_a_talk_reaches_the_counsellor_as_its_title(app: App) -> None:
    pupil, case_id = await in_a_talk(app)
    before = len(await counsellor_lines(app, case_id))
    handled = await pupil.send(button="motivation.importance:7")  # the old ruler, still shown
    assert handled.relayed and handled.messages == ()
    lines = await counsellor_lines(app, case_id)
    assert len(lines) == before + 1 and lines[-1].endswith(": 7")
    handled = await pupil.send(button="welcome.menu:truancy")  # a stale menu button
    assert handled.relayed and handled.messages == ()
    menu = app.content.flows["welcome"].step("menu")
    assert menu is not None
    title = next(b.title for b in menu.buttons if b.value == "truancy")
    lines = await counsellor_lines(app, case_id)
    assert len(lines) == before + 2 and lines[-1].endswith(f": {title}")


async def test_a_global_button_during_a_talk_reaches_the_counsellor_and_the_bot_is_silent(
    app: App,
) -> None:
    pupil, case_id = await in_a_talk(app)
    before = len(await counsellor_lines(app, case_id))
    handled = await pupil.send(button="!command:menu")
    assert handled.relayed and handled.messages == ()
    lines = await counsellor_lines(app, case_id)
    assert len(lines) == before + 1 and lines[-1].endswith(": " + app.content.text("menu_button"))


async def test_a_button_of_the_bots_safety_question_during_a_talk_is_answered_and_relayed(
    app: App,
) -> None:
    pupil = Pupil(app)
    await pupil.send("/start")
    await pupil.send("ik wil dood")  # a crisis: the safety layer speaks, also later in a talk
    await pupil.press("Ja, ik ben nu veilig")
    await pupil.send("/mens")
    await pupil.press("Niets, ik vertel het zelf")
    case = await claim(app)
    await age_the_last_alert(app, pupil, minutes=120)
    handled = await pupil.send(AMBIGUOUS)
    assert handled.safety in {"check", "crisis"}
    button = "Ja, ik denk eraan mezelf iets aan te doen" if handled.safety == "check" else None
    if button is not None:
        handled = await pupil.press(button)
        assert not handled.relayed and SAFE_NOW in pupil.texts
        lines = await counsellor_lines(app, case.id)
        assert any(line.endswith(": " + button) for line in lines)
    assert len(await safety_alerts(app)) == 2
    assert all(e.priority == URGENT for e, p in await alerts(app))
