"""Facts that reach the engine: what the pupil did, or what the service decided."""

from __future__ import annotations

from dataclasses import dataclass

from bot.flows.nlu import NluResult


@dataclass(frozen=True, slots=True)
class PupilText:
    """The pupil typed a text; `nlu` is None when the NLU is unavailable or not asked."""

    text: str
    nlu: NluResult | None = None
    degraded: bool = False


@dataclass(frozen=True, slots=True)
class ButtonPressed:
    """The pupil pressed a button with this payload."""

    payload: str


@dataclass(frozen=True, slots=True)
class CommandGiven:
    """The pupil sent a command such as /start (name without slash, lowercase)."""

    name: str
    argument: str = ""


@dataclass(frozen=True, slots=True)
class FlowTriggered:
    """The service starts a flow on top of the conversation (e.g. the crisis reply)."""

    flow: str


Event = PupilText | ButtonPressed | CommandGiven | FlowTriggered
