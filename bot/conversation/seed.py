"""Put a pupil at a flow or a step with given slots: for dialogue tests and the console preview.

`start` is `flow` (the flow runs from its first step, as if triggered) or `flow.step` (the pupil
waits at that step). The pupil's stored state is replaced; nothing is screened or transcribed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.conversation.service import ConversationService
from bot.errors import WegwijsError
from bot.flows.actions import Message
from bot.flows.engine import step
from bot.flows.events import FlowTriggered
from bot.flows.model import Content
from bot.flows.run import Run
from bot.flows.state import Frame, State
from bot.flows.values import possible_values
from bot.infra.sql import Pupil


class StartError(WegwijsError):
    """A start (flow, step) or slot the content does not have; `reason` says what and how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def seed_pupil(service: ConversationService, channel: str, user: str, start: str | None,
                     slots: Mapping[str, Any]) -> tuple[Message, ...]:
    """Replace the pupil's state: at `start` with `slots`; returns what the bot says there."""
    if start is None and not slots:
        return ()
    state = State(slots=dict(slots))
    messages: tuple[Message, ...] = ()
    if start is not None:
        flow, _, step_id = start.partition(".")
        if step_id:
            state = State(stack=(Frame(flow, step_id),), slots=dict(slots))
        else:
            outcome = step(service.content, state, FlowTriggered(flow))
            state, messages = outcome.state, outcome.messages
    pupil_id = service.cipher.pseudonym(channel, user)
    async with service.store.pupil_transaction(pupil_id) as session:
        pupil = await session.get(Pupil, pupil_id)
        if pupil is None:
            pupil = Pupil(id=pupil_id, channel=channel, state=None,
                          address=service.cipher.seal(user))
            session.add(pupil)
        pupil.state = service.cipher.seal(state.to_json())
        pupil.network = state.slots.get("network")
    return messages


def waiting_question(content: Content, state: State) -> tuple[Message, ...]:
    """The question the pupil waits at, as the bot asks it (with its buttons); () elsewhere."""
    frame = state.waiting
    flow = content.flows.get(frame.flow) if frame else None
    spec = flow.step(frame.step) if flow and frame else None
    if spec is None or spec.kind != "ask" or flow is None:
        return ()
    run = Run(content, state)
    run.emit_question(flow.id, spec)
    return tuple(run.messages)


async def pupil_state(service: ConversationService, channel: str, user: str) -> State:
    """The pupil's stored state (empty for a pupil the bot has not met)."""
    pupil_id = service.cipher.pseudonym(channel, user)
    async with service.store.pupil_transaction(pupil_id) as session:
        pupil = await session.get(Pupil, pupil_id)
        if pupil is None or pupil.state is None:
            return State()
        return State.from_json(service.cipher.open(pupil.state))


def check_start(content: Content, start: str) -> None:
    """Raise StartError unless `start` names a flow, or a step of a flow, of the content."""
    flow_id, _, step_id = start.partition(".")
    flow = content.flows.get(flow_id)
    if flow is None:
        raise StartError(f"no flow '{flow_id}' (flows: {', '.join(sorted(content.flows))})")
    if step_id and flow.step(step_id) is None:
        steps = ", ".join(s.id for s in flow.steps)
        raise StartError(f"flow '{flow_id}' has no step '{step_id}' (steps: {steps})")


def parse_slots(content: Content, pairs: Sequence[str]) -> dict[str, Any]:
    """Read `name=value` pairs into slot values of the slot's type; raise StartError if wrong."""
    allowed = possible_values(content)
    slots: dict[str, Any] = {}
    for pair in pairs:
        name, equals, raw = pair.partition("=")
        name, raw = name.strip(), raw.strip()
        spec = content.slots.get(name)
        if not equals or spec is None:
            raise StartError(f"'{pair}': write name=value with a slot of content/slots*.yml")
        if spec.type == "number":
            try:
                number = float(raw)
            except ValueError:
                raise StartError(f"slot '{name}' holds a number, not '{raw}'") from None
            slots[name] = int(number) if number.is_integer() else number
            continue
        values = allowed.get(name)
        if values and raw not in values:
            raise StartError(f"slot '{name}' cannot be '{raw}' (one of: "
                             f"{', '.join(sorted(values))})")
        slots[name] = raw
    return slots
