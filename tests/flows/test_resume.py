"""A pupil's state against content that changed under it (bot.flows.resume)."""

from __future__ import annotations

from dataclasses import replace

from bot.flows.model import Content
from bot.flows.resume import resume
from bot.flows.state import Frame, State
from tests.support.conversation import real_content


def without(content: Content, flow_id: str, step_id: str | None = None) -> Content:
    """The content with one step (or, without a step, one whole flow) taken out."""
    flows = dict(content.flows)
    if step_id is None:
        del flows[flow_id]
    else:
        flow = flows[flow_id]
        flows[flow_id] = replace(flow, steps=tuple(s for s in flow.steps if s.id != step_id))
    return replace(content, flows=flows)


def test_a_state_whose_steps_all_exist_is_kept_as_it_is() -> None:
    state = State(stack=(Frame("welcome", "menu"), Frame("quit_school", "situation")),
                  slots={"age": 16}, history=((Frame("welcome", "menu"),),))
    resumed = resume(real_content(), state)
    assert resumed.state is state
    assert resumed.restart is None


def test_a_waiting_step_that_disappeared_restarts_its_flow_and_keeps_the_rest() -> None:
    state = State(stack=(Frame("welcome", "menu"), Frame("quit_school", "situation")),
                  slots={"age": 16}, misses=1)
    resumed = resume(without(real_content(), "quit_school", "situation"), state)
    assert resumed.restart == "quit_school"
    assert resumed.state.stack == (Frame("welcome", "menu"),)
    assert resumed.state.slots == {"age": 16}
    assert resumed.state.misses == 0


def test_a_waiting_flow_that_disappeared_goes_back_to_the_menu() -> None:
    state = State(stack=(Frame("quit_school", "situation"),))
    resumed = resume(without(real_content(), "quit_school"), state)
    assert resumed.restart == real_content().patterns.menu_flow
    assert resumed.state.stack == ()


def test_an_interrupted_flow_whose_step_disappeared_starts_again_when_resumed() -> None:
    content = without(real_content(), "quit_school", "situation")
    privacy = content.flows["privacy"].steps[0].id
    state = State(stack=(Frame("quit_school", "situation"), Frame("privacy", privacy)))
    resumed = resume(content, state)
    assert resumed.restart is None
    first = content.flows["quit_school"].steps[0].id
    assert resumed.state.stack == (Frame("quit_school", first), Frame("privacy", privacy))


def test_going_back_never_leads_to_a_step_that_disappeared() -> None:
    gone = (Frame("quit_school", "situation"),)
    kept = (Frame("welcome", "menu"),)
    state = State(stack=kept, history=(kept, gone))
    resumed = resume(without(real_content(), "quit_school", "situation"), state)
    assert resumed.state.history == (kept,)
    assert resumed.restart is None
