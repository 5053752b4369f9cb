"""What the core asks the shell to do: messages to send and effects to carry out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.flows.model import Content


@dataclass(frozen=True, slots=True)
class Button:
    """A choice shown under a message; `payload` comes back when it is pressed."""

    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message to the pupil."""

    text: str
    buttons: tuple[Button, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the JSONL protocol form of this message."""
        return {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
        }


class Effect:
    """Base of the effects the core asks the shell to carry out."""


@dataclass(frozen=True, slots=True)
class RequestHandoff(Effect):
    """Open a case for a human counsellor."""

    kind: str
    priority: str = "normal"


@dataclass(frozen=True, slots=True)
class ForgetPupil(Effect):
    """Erase everything stored about the pupil."""


@dataclass(frozen=True, slots=True)
class BuiltinCall:
    """Input of a built-in action: the step's parameters, the slots and the content."""

    params: Mapping[str, Any]
    slots: Mapping[str, Any]
    content: Content


@dataclass(frozen=True, slots=True)
class BuiltinResult:
    """Output of a built-in action."""

    messages: tuple[Message, ...] = ()
    slots: Mapping[str, Any] = field(default_factory=dict)
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True, slots=True)
class Builtin:
    """A built-in action that flows can use with `action: name`."""

    run: Callable[[BuiltinCall], BuiltinResult]
    params: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()


def _handoff(call: BuiltinCall) -> BuiltinResult:
    kind = str(call.params.get("kind", "human"))
    priority = str(call.params.get("priority", "normal"))
    return BuiltinResult(effects=(RequestHandoff(kind, priority),))


def _forget(call: BuiltinCall) -> BuiltinResult:
    return BuiltinResult(effects=(ForgetPupil(),))


# After a disclosure, the answer "no" to "go on with this talk?" (bot.flows.risk).
DROP_INTERRUPTED = "drop_interrupted"


def _drop_interrupted(call: BuiltinCall) -> BuiltinResult:
    # The engine itself drops the flows under the running one (bot.flows.run, bot.flows.risk).
    return BuiltinResult()


# The engine's own actions; the composition root adds those bound to the catalog and safety.
ENGINE_BUILTINS: Mapping[str, Builtin] = {
    "handoff": Builtin(_handoff, frozenset({"kind", "priority"})),
    "forget_me": Builtin(_forget),
    DROP_INTERRUPTED: Builtin(_drop_interrupted),
}
