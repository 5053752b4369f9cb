"""What the NLU tells the core about a pupil text, and the port the core expects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity found in a text (`municipality` or `postcode`)."""

    name: str
    value: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class NluResult:
    """The parse of one pupil text; `intent` is None when nothing was recognised."""

    intent: str | None
    confidence: float
    entities: tuple[Entity, ...] = ()
    ranking: tuple[tuple[str, float], ...] = field(default=())

    def entity(self, name: str) -> str | None:
        """Return the value of the first entity with this name, if any."""
        return next((e.value for e in self.entities if e.name == name), None)

    def score(self, intent: str) -> float:
        """Return the confidence the NLU gave this intent (0.0 when absent)."""
        if intent == self.intent:
            return self.confidence
        return next((c for name, c in self.ranking if name == intent), 0.0)


class NluClient(Protocol):
    """Port for intent parsing. Returns None when the NLU is unavailable (degraded mode)."""

    async def parse(self, text: str) -> NluResult | None: ...


INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "affirm",
    "deny",
    "thanks",
    "want_to_quit_school",
    "want_to_work",
    "truancy",
    "school_struggles",
    "bullying_conflict",
    "feeling_down",
    "crisis",
    "home_problems",
    "ask_learning_paths",
    "ask_help_resources",
    "ask_human",
    "ask_compulsory_education",
    "bot_challenge",
    "privacy_question",
    "delete_my_data",
    "out_of_scope",
    "inform_location",
)
ENTITIES: tuple[str, ...] = ("municipality", "postcode")
