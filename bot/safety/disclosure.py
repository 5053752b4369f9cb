"""A disclosure the pupil makes by answering the bot (not in a screened message).

"ja" or "soms" to the check question ("Denk je eraan om jezelf iets aan te doen?") is a
disclosure like a crisis message: the safety flow runs `action: disclosure` with its category,
and the conversation service raises the counsellors' priority alert for it (at most one per
pupil in `heightened.alert_minutes`, as for a crisis message). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.flows.actions import Builtin, BuiltinCall, BuiltinResult, Effect
from bot.safety.screen import Category


@dataclass(frozen=True, slots=True)
class Disclosed(Effect):
    """The pupil disclosed a risk of this category; counsellors get a priority alert."""

    category: Category


def _disclosure(call: BuiltinCall) -> BuiltinResult:
    try:
        category = Category(str(call.params.get("category", Category.SUICIDE_SELF_HARM)))
    except ValueError:  # an unknown category still alerts: a disclosure is never dropped
        category = Category.SUICIDE_SELF_HARM
    return BuiltinResult(effects=(Disclosed(category),))


DISCLOSURE = Builtin(_disclosure, frozenset({"category"}), frozenset({"category"}))
BUILTINS = {"disclosure": DISCLOSURE}
