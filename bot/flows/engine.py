"""The flow engine: `step(content, state, event) -> Outcome`. Pure: no I/O, never awaits.

`bot.flows.run` holds the state of one step in the making (stack, slots, messages) and moves
through flows; `bot.flows.turn` decides what a pupil's free text means for it.
"""

from __future__ import annotations

from bot.flows import turn
from bot.flows.answers import SKIPPED
from bot.flows.events import ButtonPressed, CommandGiven, Event, FlowTriggered
from bot.flows.model import Content
from bot.flows.run import GLOBAL_PREFIX, HUMAN_PAYLOAD, Outcome, Run, button_payload
from bot.flows.state import State

__all__ = ["GLOBAL_PREFIX", "HUMAN_PAYLOAD", "SKIPPED", "Outcome", "button_payload", "step"]


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
