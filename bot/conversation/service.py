"""The conversation use case: one inbound pupil message in, replies out. Follows DESIGN.md's
pipeline: dedupe, safety screen, relay, NLU, engine, commit, then reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.service import Checkins
from bot.conversation.guard import FloodGuard, retry_transient
from bot.conversation.tally import is_new_conversation, record_turn
from bot.delivery.outbox import NORMAL, Dispatcher, enqueue_many, queued_for_a_pass
from bot.delivery.retention import delete_pupil_records
from bot.flows import engine
from bot.flows.actions import ForgetPupil, Message, RequestHandoff
from bot.flows.events import ButtonPressed, CommandGiven, Event, FlowTriggered, PupilText
from bot.flows.model import Content
from bot.flows.nlu import NluClient, NluResult
from bot.flows.resume import RESTARTED_TEXT, resume
from bot.flows.state import State
from bot.handoff.service import HandoffService
from bot.infra.crypto import Cipher
from bot.infra.sql import (
    ProcessedUpdate,
    Pupil,
    Store,
    TranscriptLine,
    utcnow,
)
from bot.safety.disclosure import Disclosed
from bot.safety.screen import CARE_FLOWS, SAFETY_FLOWS, Lexicon, prepare, screen

log = logging.getLogger(__name__)

MAX_TEXT = 4000
# the tables themselves: a Core insert costs less CPU than the ORM's bulk insert path
_PROCESSED = cast(Table, ProcessedUpdate.__table__)
_TRANSCRIPT = cast(Table, TranscriptLine.__table__)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a pupil sent, as the channel adapter saw it."""

    channel: str
    user_ref: str
    address: str
    update_id: str | None = None
    text: str | None = None
    button: str | None = None
    media: str | None = None


@dataclass(frozen=True, slots=True)
class Handled:
    """What came of one inbound message."""

    pupil_id: str
    messages: tuple[Message, ...] = ()
    duplicate: bool = False
    relayed: bool = False
    safety: str | None = None
    # What the engine noticed (not_understood, hijack, asked_known, ...): for dialogue tests
    # and the listening figures; never pupil text.
    notes: tuple[str, ...] = ()


@dataclass
class ConversationService:
    """Runs the message pipeline for every channel."""

    content: Content
    store: Store
    cipher: Cipher
    handoff: HandoffService
    nlu: NluClient | None = None
    outboxed_channels: frozenset[str] = frozenset({"telegram"})
    on_commit: Callable[[], None] = field(default=lambda: None)
    # the running dispatcher: a turn's replies go out straight after the commit
    lane: Dispatcher | None = None
    # per-pupil flood control (adds the slow_down text, never drops).
    guard: FloodGuard = field(default_factory=FloodGuard)
    # check-ins the pupil asked for (plan, stop, show at a visit); None: flows' offers do nothing
    checkins: Checkins | None = None

    async def handle(self, inbound: Inbound) -> Handled:
        """Handle one inbound message; state is committed before the replies are returned."""
        pupil_id = self.cipher.pseudonym(inbound.channel, inbound.user_ref)
        text, too_long = _clip(inbound.text)
        event, verdict = await self._understand(inbound, text)
        update_key = f"{inbound.channel}:{inbound.update_id}" if inbound.update_id else None
        # flood control on chat channels (never drops, see guard.py)
        flooding = inbound.channel in self.guard.channels and self.guard.hit(pupil_id)

        # the whole transaction is rerun after a brief database outage; when
        # the database stays down, guard.StoreUnavailable reaches the channel (not handled).
        wake = False

        async def attempt() -> Handled:
            nonlocal wake
            async with self.store.pupil_transaction(pupil_id) as session:
                if update_key:
                    # The update is claimed first: a second delivery of it fails right here
                    # (IntegrityError, below), before any work, in one statement.
                    await session.execute(
                        insert(_PROCESSED).values(key=update_key, pupil_id=pupil_id))
                result = await self._process(
                    session,
                    inbound,
                    pupil_id,
                    event,
                    verdict,
                    text,
                    update_key,
                    too_long,
                    flooding,
                )
                wake = queued_for_a_pass(session)
            return result

        try:
            result = await retry_transient(attempt)
            if result.duplicate:
                return result
        except IntegrityError:
            log.info("duplicate update for pupil %s dropped", pupil_id)
            return Handled(pupil_id, duplicate=True)
        if wake:
            self.on_commit()
        return result

    async def warm_up(self) -> None:
        """Understand one content text (never a pupil's) without storing anything.

        The first parse of a freshly started Rasa takes about 180 ms and the first screen run
        fills lazy caches: paid here at start-up instead of by the first pupil who writes.
        """
        text = self.content.text("busy_retry")
        if text:
            await self._understand(Inbound("warm-up", "", ""), text)

    async def _understand(self, inbound: Inbound, text: str | None) -> tuple[Event | None, Any]:
        lexicon = self.content.safety if isinstance(self.content.safety, Lexicon) else None
        if inbound.button is not None:
            return ButtonPressed(inbound.button[:256]), None
        if inbound.media is not None or text is None:
            return None, None
        if text.startswith("/") and len(text) > 1:
            # Commands are screened too: "/ik wil dood" is a pupil in danger, not a typo. A
            # known command on its own ("/help", "/stop") is the bot's own menu, not a message.
            name, _, argument = text[1:].partition(" ")
            command = CommandGiven(name.split("@", 1)[0].lower(), argument.strip()[:64])
            menu = command.name in self.content.patterns.commands and not command.argument
            return command, None if menu or lexicon is None else screen(text, lexicon)
        parsing: asyncio.Task[NluResult | None] | None = None
        if self.nlu is not None and text.strip():
            # Rasa parses while the rules screen runs: the task sends the request at the first
            # pause (sleep(0)), before the screen takes its share of the millisecond
            parsing = asyncio.ensure_future(self.nlu.parse(text))
            await asyncio.sleep(0)
        try:
            # the rules' part of the screen is made once, for both screens (before and with NLU)
            prepared = prepare(text, lexicon) if lexicon is not None else None
            verdict = screen(text, lexicon, prepared=prepared) if lexicon is not None else None
        except BaseException:
            if parsing is not None:
                parsing.cancel()
            raise
        nlu: NluResult | None = None
        degraded = False
        if parsing is not None:
            nlu = await parsing
            degraded = nlu is None
            if (
                lexicon is not None
                and nlu is not None
                and verdict is not None
                and verdict.level != "crisis"
            ):
                verdict = screen(text, lexicon, nlu, prepared=prepared)
        return PupilText(text, nlu, degraded), verdict

    async def _process(
        self,
        session: AsyncSession,
        inbound: Inbound,
        pupil_id: str,
        event: Event | None,
        verdict: Any,
        text: str | None,
        update_key: str | None,
        too_long: bool,
        flooding: bool = False,
    ) -> Handled:
        pupil = await self._pupil(session, inbound, pupil_id)
        new_conversation = is_new_conversation(pupil.updated_at, utcnow())
        state = self._state(pupil)
        entry_state = state
        key = update_key or f"{pupil_id}:{utcnow().timestamp()}"
        state, verdict = self._heightened(state, event, verdict)
        level = getattr(verdict, "level", "none")
        case = await self.handoff.active_case(session, pupil_id)
        # /stop (or its button) ends or withdraws an open case (HandoffService.pupil_event)
        if event is not None and level != "crisis":
            event, case = await self.handoff.pupil_event(session, pupil_id, state, event, case)
        # during a talk a button press reaches the counsellor as its title, like typed text;
        # only an answer to the bot's own safety question, or to the question of a command the
        # pupil gave (/vergeet), is still the bot's to take
        bot_takes = case is not None and _taken_by_bot(self.content, state, event)
        safety_answer = bot_takes and _in_safety_flow(state)  # the counsellor reads it too
        pressed = isinstance(event, ButtonPressed) and (safety_answer or not bot_takes)
        if case is not None and isinstance(event, ButtonPressed) and pressed:
            text = engine.button_title(self.content, event.payload, state.slots)
        transcript: list[tuple[str, str]] = []
        if text is not None and not isinstance(event, CommandGiven):
            transcript.append(("pupil", text))
        if level == "crisis":
            category = str(verdict.category)
            state = await self._alert(session, pupil_id, state, category, verdict.rule, key)
            state = state.with_slots(risk="crisis", risk_since=utcnow().isoformat())
            if case is not None and text is not None:
                await self.handoff.relay_to_counsellor(session, case, text, key)
            event = FlowTriggered(f"crisis_{category}")
        elif (
            case is not None
            and event is not None
            and not isinstance(event, CommandGiven)
            and not (level == "check" and state.slots.get("risk"))
            and not bot_takes
        ):
            if text is not None:
                await self.handoff.relay_to_counsellor(session, case, text, key)
            self._save(pupil, state)
            await self._remember(session, pupil_id, transcript)
            return Handled(pupil_id, relayed=True)
        elif level == "check":
            # after a disclosure the check question is asked during a talk too (and the
            # counsellor reads the line); without one the counsellor answers it
            if case is not None and text is not None:
                await self.handoff.relay_to_counsellor(session, case, text, key)
            event = FlowTriggered("safety_check")
        elif level == "care" and event is not None and not isinstance(event, CommandGiven):
            event = FlowTriggered(f"care_{verdict.care}")
        if safety_answer and level not in {"crisis", "check"} and case and text is not None:
            await self.handoff.relay_to_counsellor(session, case, text, key)  # read it too
        messages: list[Message] = []
        if flooding:
            messages.append(Message(self.content.text("slow_down")))
        if too_long:
            messages.append(Message(self.content.text("too_long")))
        content = self.content  # one content for the whole step, even if a reload swaps it
        resumed = resume(content, state)
        state = resumed.state
        if resumed.restart is not None and _answers_the_question(event):
            # the question this answers is gone (content reloaded): start its flow again
            messages.append(Message(content.text(RESTARTED_TEXT)))
            event = FlowTriggered(resumed.restart)
        if event is None:
            messages.append(Message(content.text("unsupported_media")))
            outcome = engine.Outcome(state, ())
        else:
            outcome = engine.step(content, state, event)
        start = len(messages)
        messages += outcome.messages
        state = outcome.state
        if state.slots.get("risk") and not state.slots.get("risk_since"):
            state = state.with_slots(risk_since=utcnow().isoformat())  # "ja" to the check
        erased = False  # nothing of an erased pupil goes back in the transcript
        for effect, at in zip(outcome.effects, outcome.effect_at, strict=True):
            if isinstance(effect, RequestHandoff):
                # the waiting text follows the step that asked for a person, before a
                # question the flow asks again
                waiting = await self.handoff.open_case(
                    session, pupil_id, state, effect.kind, effect.priority
                )
                position = start + at
                messages[position:position] = waiting
                start += len(waiting)
            elif isinstance(effect, Disclosed):
                # "ja"/"soms" to the check question: an alert as for a crisis message
                state = await self._alert(
                    session, pupil_id, state, str(effect.category), "check_answer", key
                )
            elif isinstance(effect, ForgetPupil):
                await self._erase(session, pupil_id)
                state = State(stack=state.stack)
                erased = True
            elif self.checkins is not None and self.checkins.handles(effect):
                said = await self.checkins.apply(
                    session, pupil_id, inbound.channel, state.slots.get("network"), effect
                )
                position = start + at
                messages[position:position] = said
                start += len(said)
        if self.checkins is not None and not erased:
            messages += await self.checkins.visit(session, pupil_id, inbound.channel)
        if not erased:
            record_turn(session, content, entry_state, state,
                        new_conversation=new_conversation, safety=level, when=utcnow())
        self._save(pupil, state)
        if not erased:
            transcript += [("bot", message.text) for message in messages]
            await self._remember(session, pupil_id, transcript)
        if inbound.channel in self.outboxed_channels and messages:
            destination = f"pupil:{pupil_id}"
            lane = self.lane
            lease = await lane.lease_for_now(session, destination) if lane is not None else None
            entries = await enqueue_many(
                session,
                self.cipher,
                destination,
                [{"kind": "message", **m.to_json()} for m in messages],
                f"reply:{key}",
                NORMAL,
                pupil_id,
                leased_until=lease,
            )
            if lane is not None:
                lane.send_after_commit(session, entries)
        log.info(
            "pupil %s event=%s at=%s safety=%s",
            pupil_id,
            type(event).__name__,
            state.waiting,
            level,
        )
        return Handled(pupil_id, tuple(messages), safety=None if level == "none" else level,
                       notes=outcome.notes)

    def _heightened(self, state: State, event: Event | None, verdict: Any) -> tuple[State, Any]:
        """After a disclosure (slot `risk`) screen a pupil text again, more carefully."""
        lexicon = self.content.safety
        since = state.slots.get("risk_since")
        if not isinstance(lexicon, Lexicon) or not state.slots.get("risk"):
            return state, verdict
        if since and utcnow() - _parse_time(since) > timedelta(hours=lexicon.heightened.hours):
            return state.with_slots(risk=None, risk_since=None), verdict
        if not isinstance(event, PupilText) or getattr(verdict, "level", "none") == "crisis":
            return state, verdict
        return state, screen(event.text, lexicon, event.nlu, heightened=True)

    async def _alert(
        self,
        session: AsyncSession,
        pupil_id: str,
        state: State,
        category: str,
        rule: str | None,
        key: str,
    ) -> State:
        """A priority alert for counsellors, unless one went out within the alert window."""
        if not self._may_alert(state):
            return state
        await self.handoff.raise_alert(session, pupil_id, state, category, rule, key)
        return state.with_slots(risk_alerted=utcnow().isoformat())

    def _may_alert(self, state: State) -> bool:
        """At most one priority alert per pupil in the window of `heightened.alert_minutes`."""
        lexicon = self.content.safety
        last = state.slots.get("risk_alerted")
        if not isinstance(lexicon, Lexicon) or not last:
            return True
        window = timedelta(minutes=lexicon.heightened.alert_minutes)
        return utcnow() - _parse_time(last) > window

    async def _pupil(self, session: AsyncSession, inbound: Inbound, pupil_id: str) -> Pupil:
        pupil = await session.get(Pupil, pupil_id)
        if pupil is None:
            pupil = Pupil(
                id=pupil_id,
                channel=inbound.channel,
                state=None,
                address=self.cipher.seal(inbound.address),
            )
            session.add(pupil)
        return pupil

    def _state(self, pupil: Pupil) -> State:
        return State.from_json(self.cipher.open(pupil.state)) if pupil.state else State()

    def _save(self, pupil: Pupil, state: State) -> None:
        pupil.state = self.cipher.seal(state.to_json())
        pupil.network = state.slots.get("network")
        pupil.updated_at = utcnow()

    async def _remember(
        self, session: AsyncSession, pupil_id: str, lines: list[tuple[str, str]]
    ) -> None:
        """Keep the conversation, encrypted, in one statement."""
        if not lines:
            return
        now = utcnow()
        await session.execute(
            insert(_TRANSCRIPT),
            [
                {
                    "pupil_id": pupil_id,
                    "author": author,
                    "created_at": now,
                    "body": self.cipher.encrypt(text.encode()),
                }
                for author, text in lines
            ],
        )

    async def _erase(self, session: AsyncSession, pupil_id: str) -> None:
        await self.handoff.erase(session, pupil_id)
        if self.checkins is not None:
            await self.checkins.stop(session, pupil_id)  # cancels their outbox entries
        await delete_pupil_records(session, pupil_id)
        log.info("pupil %s erased their data", pupil_id)

    async def address_of(self, session: AsyncSession, pupil_id: str) -> str | None:
        """The channel address of a pupil (for delivering replies)."""
        pupil = (await session.scalars(select(Pupil).where(Pupil.id == pupil_id))).first()
        return str(self.cipher.open(pupil.address)) if pupil and pupil.address else None


def _in_safety_flow(state: State) -> bool:
    """The bot waits at the question of a safety or care flow."""
    return state.waiting is not None and state.waiting.flow in {*SAFETY_FLOWS, *CARE_FLOWS}


def _taken_by_bot(content: Content, state: State, event: Event | None) -> bool:
    """During a talk: the event answers a question of the bot's that the bot must take: a
    safety or care question (typed or a button), or a button of a command's question."""
    waiting = state.waiting
    if waiting is None:
        return False
    if isinstance(event, PupilText):
        return _in_safety_flow(state)
    if not isinstance(event, ButtonPressed):
        return False
    patterns = content.patterns
    commands = {flow for name, flow in patterns.commands.items() if name not in patterns.resets}
    flow, _, rest = event.payload.partition(".")
    return (flow, rest.partition(":")[0]) == (waiting.flow, waiting.step) and (
        _in_safety_flow(state) or waiting.flow in commands
    )


def _answers_the_question(event: Event | None) -> bool:
    """A text, media or a flow button: what a pupil sends to the question they were asked."""
    if isinstance(event, ButtonPressed):
        return not event.payload.startswith(engine.GLOBAL_PREFIX)
    return event is None or isinstance(event, PupilText)


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _clip(text: str | None) -> tuple[str | None, bool]:
    """Remove control characters and keep at most MAX_TEXT characters."""
    if text is None:
        return None, False
    cleaned = "".join(c for c in text if c in "\n\t" or c.isprintable())
    return cleaned[:MAX_TEXT], len(cleaned) > MAX_TEXT
