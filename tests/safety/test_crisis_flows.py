"""The crisis replies and the check question, driven through the real flow engine."""

from __future__ import annotations

import pytest

from bot.flows.actions import RequestHandoff
from tests.support.conversation import Conversation, real_content

CRISIS_FLOWS = {
    "crisis_suicide_self_harm": ("1813", "112"),
    "crisis_violence_abuse": ("1712", "112"),
    "crisis_acute_danger": ("112",),
}
PERSON = "Praat met een mens"
LINES = "Toon de hulplijnen"
BACK = "Terug naar waar we waren"


def started(flow: str) -> Conversation:
    conversation = Conversation()
    conversation.command("start")
    conversation.trigger(flow)
    return conversation


@pytest.mark.parametrize(("flow", "numbers"), CRISIS_FLOWS.items())
def test_the_crisis_reply_gives_the_right_numbers_and_asks_about_safety(
    flow: str, numbers: tuple[str, ...]
) -> None:
    c = started(flow)
    reply = " ".join(c.texts)
    for number in numbers:
        assert number in reply
    assert c.where == (flow, "safe_now")
    assert PERSON in c.buttons
    assert all(len(t) <= 4096 for t in c.texts)


def test_acute_danger_names_112_first() -> None:
    c = started("crisis_acute_danger")
    assert "112" in c.texts[0]


@pytest.mark.parametrize("flow", CRISIS_FLOWS)
def test_one_tap_on_the_person_button_opens_an_urgent_crisis_case(flow: str) -> None:
    c = started(flow)
    c.press(PERSON)
    assert RequestHandoff("crisis", "urgent") in c.effects


@pytest.mark.parametrize("flow", CRISIS_FLOWS)
def test_after_the_reply_the_pupil_can_see_the_lines_again_then_go_back(flow: str) -> None:
    c = started(flow)
    c.press("Ja, ik ben nu veilig")
    assert set(c.buttons) == {PERSON, LINES, BACK}
    c.press(LINES)
    lines = " ".join(c.texts)
    assert "112" in lines and c.where == (flow, "choose")
    c.press(BACK)
    assert c.where == ("welcome", "menu")
    assert c.effects == []


def test_an_unsafe_pupil_is_told_to_call_112_and_can_still_reach_a_person() -> None:
    c = started("crisis_suicide_self_harm")
    c.press("Nee")
    assert "112" in " ".join(c.texts)
    c.press(PERSON)
    assert RequestHandoff("crisis", "urgent") in c.effects


@pytest.mark.parametrize("typed", ["ik weet het niet meer", "???", "laat me gewoon"])
def test_typed_text_in_a_crisis_flow_never_gets_i_did_not_understand(typed: str) -> None:
    content = real_content()
    c = started("crisis_suicide_self_harm")
    c.say(typed)
    c.say(typed)
    c.say(typed)
    assert content.patterns.rephrase not in c.texts
    assert content.patterns.offer not in c.texts
    assert PERSON in c.buttons


def test_the_interrupted_question_comes_back_after_the_crisis_flow() -> None:
    c = Conversation()
    c.command("start")
    before = c.where
    question = c.texts[-1]
    c.trigger("crisis_violence_abuse")
    c.press("Ja, ik ben nu veilig")
    c.press(BACK)
    assert c.where == before
    assert c.texts[-1] == question


def test_the_check_question_leads_to_the_suicide_reply_on_yes() -> None:
    c = started("safety_check")
    c.say("ja")
    assert c.where == ("crisis_suicide_self_harm", "safe_now")
    assert "1813" in " ".join(c.texts)


def test_the_check_question_leads_to_the_violence_reply_when_someone_hurts_the_pupil() -> None:
    c = started("safety_check")
    c.press("Ja, iemand doet me pijn")
    assert c.where == ("crisis_violence_abuse", "safe_now")


def test_no_to_the_check_question_gets_a_warm_word_with_listening_lines_and_goes_back() -> None:
    c = started("safety_check")
    c.say("nee")
    said = " ".join(c.texts)
    assert "102" in said and "106" in said
    c.press("Verder waar we waren")
    assert c.where == ("welcome", "menu")


def test_the_helplines_action_shows_only_the_chosen_lines_in_order() -> None:
    c = started("crisis_violence_abuse")
    c.press("Ja, ik ben nu veilig")
    c.press(LINES)
    shown = c.texts[0]
    assert shown.index("1712") < shown.index("112")
    assert "1813" not in shown


def test_every_helplines_step_names_existing_lines() -> None:
    content = real_content()
    known = {line.id for line in content.safety.helplines}
    for flow in content.flows.values():
        for step in flow.steps:
            if step.action == "helplines":
                assert set(step.params.get("lines", ())) <= known, (flow.id, step.id)


def test_the_crisis_texts_stay_short_and_simple() -> None:
    content = real_content()
    for flow_id in (*CRISIS_FLOWS, "safety_check"):
        for step in content.flows[flow_id].steps:
            for text in step.texts:
                for sentence in text.replace("?", ".").replace("!", ".").split("."):
                    assert len(sentence.split()) <= 16, (flow_id, step.id, sentence)
