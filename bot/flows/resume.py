"""A pupil's state against content that changed under it (a reload while they were talking).

Frames whose flow and step still exist are kept as they are, so a pupil mid-flow simply
continues. A frame whose step disappeared cannot continue: the flow starts again (the caller
tells the pupil why, with the text RESTARTED_TEXT); a frame whose flow disappeared is dropped.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.flows.model import Content
from bot.flows.state import Frame, State

RESTARTED_TEXT = "flow_restarted"


@dataclass(frozen=True, slots=True)
class Resumed:
    """The state to go on with; `restart` is the flow to start again for the waiting frame."""

    state: State
    restart: str | None = None


def resume(content: Content, state: State) -> Resumed:
    """Fit the state to the content; unchanged when every frame still exists."""
    if all(_exists(content, frame) for frame in state.stack) and all(
        _exists(content, frame) for stack in state.history for frame in stack
    ):
        return Resumed(state)
    waiting = state.waiting
    restart = None
    lower = state.stack
    if waiting is not None and not _exists(content, waiting):
        lower = state.stack[:-1]
        restart = waiting.flow if waiting.flow in content.flows else content.patterns.menu_flow
    stack = tuple(_first_step(content, f) if f.flow in content.flows and not _exists(content, f)
                  else f for f in lower if f.flow in content.flows)
    # /terug to a place that no longer exists would leave the pupil without an answer.
    history = tuple(h for h in state.history if all(_exists(content, f) for f in h))
    return Resumed(replace(state, stack=stack, history=history, misses=0), restart)


def _exists(content: Content, frame: Frame) -> bool:
    flow = content.flows.get(frame.flow)
    return flow is not None and flow.step(frame.step) is not None


def _first_step(content: Content, frame: Frame) -> Frame:
    """An interrupted flow whose step disappeared starts again when the pupil comes back to it."""
    return Frame(frame.flow, content.flows[frame.flow].steps[0].id)
