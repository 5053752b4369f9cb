"""Going back to an interrupted flow after a disclosure (bot.flows.risk): table tests, pure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.flows import engine
from bot.flows.checker import cross_references
from bot.flows.events import ButtonPressed, FlowTriggered
from bot.flows.model import Content, ResumePolicy
from bot.flows.risk import RESUME_FLOW, TOPIC_SLOT
from bot.flows.state import Frame, State
from tests.support.conversation import real_content

GO_ON = "Wil je daar nu over verder praten?"
MENU = Frame("welcome", "menu")
WAITING = Frame("motivation", "importance")


def policy(content: Content, flow_id: str, value: ResumePolicy) -> Content:
    flows = dict(content.flows)
    flows[flow_id] = replace(flows[flow_id], resume_after_risk=value)
    return replace(content, flows=flows)


def after_an_interruption(content: Content, slots: dict[str, str]) -> engine.Outcome:
    """The pupil waits at the importance question; a short flow interrupts and ends."""
    state = State(stack=(MENU, WAITING), slots=slots)
    return engine.step(content, state, FlowTriggered("about_bot"))


def question(content: Content) -> str:
    step = content.flows["motivation"].step("importance")
    assert step is not None
    return step.texts[-1]


@pytest.mark.parametrize(
    ("value", "slots", "expected"),
    [
        ("ask", {}, "question"),  # no disclosure: back at once
        ("ask", {"risk": "disclosed"}, "go_on"),
        ("ask", {"risk": "crisis"}, "go_on"),
        ("always", {"risk": "disclosed"}, "question"),
        ("never", {"risk": "disclosed"}, "menu"),
        ("never", {}, "question"),
    ],
)
def test_each_policy_after_an_interruption(
    value: ResumePolicy, slots: dict[str, str], expected: str
) -> None:
    content = policy(real_content(), "motivation", value)
    outcome = after_an_interruption(content, slots)
    texts = [m.text for m in outcome.messages]
    top = outcome.state.stack[-1]
    if expected == "question":
        assert top == WAITING and question(content) in texts and GO_ON not in texts
    elif expected == "go_on":
        assert top.flow == RESUME_FLOW and GO_ON in texts and question(content) not in texts
        assert outcome.state.stack[:-1] == (MENU, WAITING)
        assert outcome.state.slots[TOPIC_SLOT] == content.flows["motivation"].title
    else:
        assert outcome.state.stack == (MENU,) and question(content) not in texts


def test_yes_goes_back_to_the_waiting_question_and_no_leaves_every_interrupted_flow() -> None:
    content = real_content()
    asked = after_an_interruption(content, {"risk": "disclosed"})
    buttons = {b.title: b.payload for m in asked.messages for b in m.buttons}
    yes = engine.step(content, asked.state, ButtonPressed(buttons["Ja"]))
    assert yes.state.stack == (MENU, WAITING)
    assert yes.messages[-1].text == question(content)
    no = engine.step(content, asked.state, ButtonPressed(buttons["Nee, nu niet"]))
    assert no.state.stack == ()
    assert "1813" in " ".join(m.text for m in no.messages)


def test_a_called_flow_that_ends_is_not_a_resumption() -> None:
    # quit_school asks before it is resumed, but its own call of intake ending is no resumption
    content = real_content()
    assert content.flows["quit_school"].resume_after_risk == "ask"
    step = content.flows["quit_school"].step("intake")
    assert step is not None and step.kind == "call"
    known = {"risk": "crisis", "age": 16, "place": "Gent", "school_grade": "4"}
    state = State(stack=(Frame("quit_school", "intake"),), slots=known)
    outcome = engine.step(content, state, FlowTriggered("intake"))  # nothing left to ask
    assert outcome.state.stack and all(f.flow != RESUME_FLOW for f in outcome.state.stack)
    assert GO_ON not in " ".join(m.text for m in outcome.messages)


def test_the_checker_wants_the_asking_flow_when_a_flow_asks() -> None:
    content = real_content()
    flows = {k: v for k, v in content.flows.items() if k != RESUME_FLOW}
    found = cross_references(replace(content, flows=flows))
    asking = [p for p in found if "resume_after_risk: ask" in p.message]
    assert {p.flow for p in asking} >= {"quit_school", "motivation", "leerplicht"}
    assert all(p.severity == "error" and p.hint for p in asking)
    assert not [p for p in cross_references(content) if "resume_after_risk" in p.message]
