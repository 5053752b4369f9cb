"""The flow engine: `step(content, state, event) -> Outcome`. Pure: no I/O, never awaits.

`bot.flows.run` holds the state of one step in the making (stack, slots, messages) and moves
through flows; `bot.flows.turn` decides what a pupil's free text means for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows import turn
from bot.flows.answers import SKIPPED
from bot.flows.events import ButtonPressed, CommandGiven, Event, FlowTriggered
from bot.flows.model import Content
from bot.flows.run import GLOBAL_PREFIX, HUMAN_PAYLOAD, Outcome, Run, button_payload
from bot.flows.state import State
from bot.flows.text import fill

__all__ = [
    "GLOBAL_PREFIX",
    "HUMAN_PAYLOAD",
    "SKIPPED",
    "Outcome",
    "button_payload",
    "button_title",
    "step",
]


def step(content: Content, state: State, event: Event) -> Outcome:
    """Compute the reaction to one event."""
    run = Run(content, state)
    if isinstance(event, FlowTriggered):
        run.interrupt(event.flow)
    elif isinstance(event, CommandGiven):
        run.command(event.name, event.argument)
    elif isinstance(event, ButtonPressed):
        run.button(event.payload)
    else:
        run.degraded = event.degraded
        turn.respond(run, event.text, event.nlu)
    return run.outcome()


def button_title(content: Content, payload: str, slots: Mapping[str, Any]) -> str | None:
    """The title of the button that carries `payload`, as the pupil saw it; None if unknown."""
    if payload == HUMAN_PAYLOAD:
        return content.text("human_button")
    if payload.startswith(GLOBAL_PREFIX):
        kind, _, name = payload[len(GLOBAL_PREFIX) :].partition(":")
        if (kind, name) == ("command", "menu"):
            return content.text("menu_button")
        flow = content.flows.get(name) if kind in {"flow", "switch"} else None
        return flow.title if flow is not None else None
    flow_id, _, rest = payload.partition(".")
    step_id, _, value = rest.partition(":")
    flow = content.flows.get(flow_id)
    spec = flow.step(step_id) if flow is not None else None
    if spec is None:
        return None
    if value == SKIPPED and spec.skippable:
        return content.text("skip_button")
    return next((fill(b.title, slots) for b in spec.buttons if b.value == value), None)
