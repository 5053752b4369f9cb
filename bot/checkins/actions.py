"""The built-in actions check-in flows use, and the effects they ask the shell to carry out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.flows.actions import Builtin, BuiltinCall, BuiltinResult, Effect

# The flows the check-in message's buttons start (content/flows/checkin.yml).
OPEN_FLOW = "checkin"
STOP_FLOW = "checkin_stop"
CHECKIN_FLOWS = (OPEN_FLOW, STOP_FLOW)
# What a flow may offer; the value of the offer's button is the number of days.
DELAYS = frozenset({1, 2, 3, 7, 14, 21, 28})
ABOUT = frozenset({"talk", "plan", "handoff", "exit"})


@dataclass(frozen=True, slots=True)
class PlanCheckin(Effect):
    """Plan a check-in `days` from now, about what the pupil just did."""

    days: int
    about: str
    # the plan's "by when" in the pupil's words: the check-in comes the day after that date
    # when it names one (read with the service's clock); never logged
    step_when: str | None = None


@dataclass(frozen=True, slots=True)
class StopCheckins(Effect):
    """Cancel every planned check-in and offer none again."""


@dataclass(frozen=True, slots=True)
class CheckinAnswered(Effect):
    """The pupil answered a check-in: how it went (a button value, never their text)."""

    how: str


def _plan(call: BuiltinCall) -> BuiltinResult:
    raw = call.params.get("days", call.slots.get("checkin_when"))
    about = str(call.params.get("about") or call.slots.get("checkin_about") or "talk")
    if raw == "step":  # the day after the plan's step
        when = call.slots.get("plan_when")
        return BuiltinResult(effects=(PlanCheckin(7, "plan", str(when) if when else None),))
    try:
        days = int(str(raw))
    except ValueError:
        return BuiltinResult()  # "no thanks", or a value a flow should not have offered
    if days not in DELAYS:
        return BuiltinResult()
    return BuiltinResult(effects=(PlanCheckin(days, about if about in ABOUT else "talk"),))


def _stop(call: BuiltinCall) -> BuiltinResult:
    return BuiltinResult(slots={"checkins_stopped": "yes"}, effects=(StopCheckins(),))


def _answered(call: BuiltinCall) -> BuiltinResult:
    how = str(call.slots.get("checkin_how") or "")
    return BuiltinResult(effects=(CheckinAnswered(how if how.isidentifier() else ""),))


BUILTINS: Mapping[str, Builtin] = {
    "plan_checkin": Builtin(_plan, frozenset({"days", "about"})),
    "stop_checkins": Builtin(_stop),
    "checkin_answered": Builtin(_answered),
}
