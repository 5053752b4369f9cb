"""Button presses during a live talk (issue 15): the counsellor reads the button's title, the
bot stays silent; its own safety question is still answered (and the counsellor reads that too).

The handoff fixtures: the real service, the outbox dispatcher and a recording counsellor group.
"""

from __future__ import annotations

from bot.app import App
from bot.delivery.outbox import Dispatcher
from tests.handoff.support import (
    LIMBURG_CHAT,
    SARA,
    Counsellor,
    PupilChat,
    RecordingSender,
    cases,
    drain,
)

GROUP = f"tg:{LIMBURG_CHAT}"


async def talking(happ: App, dispatcher: Dispatcher) -> PupilChat:
    """A pupil at the welcome menu asks for a person; Sara claims the case."""
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", network="limburg", age=16)
    await drain(happ, dispatcher)
    case_id = (await cases(happ))[-1].id
    await Counsellor(happ, SARA, LIMBURG_CHAT).press(f"case:{case_id}:claim")
    await drain(happ, dispatcher)
    return pupil


async def test_a_menu_button_during_the_talk_reaches_the_group_as_its_title(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = await talking(happ, dispatcher)
    menu = happ.content.flows["welcome"].step("menu")
    assert menu is not None
    title = next(b.title for b in menu.buttons if b.value == "truancy")
    handled = await pupil.press("welcome.menu:truancy")
    assert handled.relayed and handled.messages == ()
    await drain(happ, dispatcher)
    assert group.texts(GROUP)[-1].endswith(f": {title}")


async def test_the_answer_to_the_bots_safety_question_is_the_bots_and_the_group_reads_it(
    happ: App, dispatcher: Dispatcher, group: RecordingSender
) -> None:
    pupil = await talking(happ, dispatcher)
    await pupil.set_slots(risk="disclosed")  # heightened: the bot asks during the talk
    handled = await pupil.say("het heeft toch allemaal geen zin meer")
    assert handled.safety in {"check", "crisis"}
    if handled.safety == "check":
        handled = await pupil.press("safety_check.ask:self")
        assert not handled.relayed and any("1813" in t for t in pupil.texts)
    await drain(happ, dispatcher)
    shown = group.texts(GROUP)
    assert any("het heeft toch allemaal geen zin meer" in t for t in shown)
    if handled.safety != "crisis":  # the pressed answer, by its title
        assert any(t.endswith(": Ja, ik denk eraan mezelf iets aan te doen") for t in shown)
    assert any("Veiligheidsmelding" in t for t in shown)
