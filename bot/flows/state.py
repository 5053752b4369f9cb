"""The conversation state of one pupil: where they are in which flow, and what they said."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

HISTORY_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Frame:
    """A position in a flow. The top frame waits at an ask step; lower frames were interrupted."""

    flow: str
    step: str


@dataclass(frozen=True, slots=True)
class State:
    """Immutable conversation state; the engine returns a new one for every event."""

    stack: tuple[Frame, ...] = ()
    slots: Mapping[str, Any] = field(default_factory=dict)
    misses: int = 0
    history: tuple[tuple[Frame, ...], ...] = ()
    # What the bot remembers of its own words in this conversation: facts already told
    # ("told") and the last variant said per reflection or small-talk cue ("variants").
    memory: Mapping[str, Any] = field(default_factory=dict)

    @property
    def waiting(self) -> Frame | None:
        """The frame waiting for an answer, or None when the bot is idle."""
        return self.stack[-1] if self.stack else None

    def with_slots(self, **values: Any) -> State:
        """Return a copy with these slots set (None clears a slot)."""
        slots = dict(self.slots)
        for name, value in values.items():
            if value is None:
                slots.pop(name, None)
            else:
                slots[name] = value
        return replace(self, slots=slots)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable form."""
        return {
            "stack": [[f.flow, f.step] for f in self.stack],
            "slots": dict(self.slots),
            "misses": self.misses,
            "history": [[[f.flow, f.step] for f in stack] for stack in self.history],
            "memory": dict(self.memory),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> State:
        """Rebuild a state from `to_json` output."""
        return cls(
            stack=tuple(Frame(flow, step) for flow, step in data.get("stack", [])),
            slots=dict(data.get("slots", {})),
            misses=int(data.get("misses", 0)),
            history=tuple(
                tuple(Frame(flow, step) for flow, step in stack)
                for stack in data.get("history", [])
            ),
            memory=dict(data.get("memory", {})),
        )
