"""Going back to an interrupted flow after a disclosure: at once, after asking, or not at all.

After a disclosure (slot `risk`, set by the safety layer) a pep talk about finishing school can
be the wrong thing to go back to. A flow's `resume_after_risk` key says what happens when a flow
that interrupted it ends: `always` (default) asks its waiting question again, `ask` first asks
whether the pupil wants to go on with it (flow RESUME_FLOW; its texts are content), `never`
leaves it. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.flows.actions import DROP_INTERRUPTED
from bot.flows.model import Content
from bot.flows.state import Frame

RISK_SLOT = "risk"
RESUME_FLOW = "resume_after_risk"
# The title of the flow the question is about, for `{resume_topic}` in RESUME_FLOW's texts.
TOPIC_SLOT = "resume_topic"
# RESUME_FLOW's answer "no": the engine drops every flow under the running one.
DROP_ACTION = DROP_INTERRUPTED


@dataclass(frozen=True, slots=True)
class Resumption:
    """How many frames of the stack stay, and the title of the flow to ask about (if any)."""

    keep: int
    ask_about: str | None = None


def resumption(
    content: Content, stack: Sequence[Frame], slots: Mapping[str, Any], finished: str
) -> Resumption:
    """What to do with `stack` now that the flow `finished`, which interrupted it, has ended."""
    if not slots.get(RISK_SLOT) or finished == RESUME_FLOW:
        return Resumption(len(stack))
    policies = [
        content.flows[f.flow].resume_after_risk if f.flow in content.flows else "always"
        for f in stack
    ]
    keep = policies.index("never") if "never" in policies else len(stack)
    asking = [stack[i].flow for i in range(keep) if policies[i] == "ask"]
    if not asking or RESUME_FLOW not in content.flows:
        return Resumption(keep)
    return Resumption(keep, content.flows[asking[-1]].title)
