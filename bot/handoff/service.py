"""Handoff to a human counsellor: cases, consent, routing, notifications, live relay, erasure.

A case lives like this:

    pending ──claim──> claimed ──pupil /stop──> ended ──close (outcome)──> closed
       │                  └──────────close (outcome)──────────────────────> closed
       ├──pupil /stop or "cancel" button──> cancelled
       └──close (outcome)──> closed

Everything that leaves goes through the outbox, in the same transaction as the change that
caused it: nothing is lost and nothing is sent twice. Counsellor messages in a case thread
reach the pupil as "<first name> (<role>): ...", never with their Telegram account.

The handoff is made of small parts that share one HandoffContext, wired in HandoffService
(a thin facade, so the rest of the bot sees one service):

- cases.py: HandoffContext, CaseOutbox (what is sent about a case, the audit log),
  PupilStates (the pupil's saved state), CaseThreadSender (replies land in the case thread);
- desk.py: CounsellorDesk (what counsellors do: claim, reply, show, close);
- service.py: PupilSide (what pupils do: open a case, leave it, relay, alert, erase);
  over 400 lines because the facade's one-line delegations sit next to PupilSide: PupilSide
  is the next to get its own file;
- reminders.py: Reminders (cases nobody claimed in time);
- notices.py (texts and summaries, pure), routing.py (config file).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import events
from bot.delivery.outbox import NORMAL, URGENT, Sender, enqueue
from bot.flows.actions import Button, Message
from bot.flows.events import ButtonPressed, CommandGiven, Event, FlowTriggered
from bot.flows.model import Content
from bot.flows.state import State
from bot.handoff import notices
from bot.handoff.cases import (
    CLOSABLE,
    MAX_RELAY,
    PUPIL_CANCEL,
    PUPIL_END,
    CaseOutbox,
    CaseThreadSender,
    HandoffContext,
    HandoffError,
    PupilStates,
    message_ref,
)
from bot.handoff.counsellor import CounsellorTexts
from bot.handoff.desk import CounsellorDesk, CounsellorInbound
from bot.handoff.flows import FLOW_CANCELLED, FLOW_ENDED, HANDOFF_FLOWS
from bot.handoff.reminders import Reminders
from bot.handoff.routing import Routing
from bot.handoff.tables import CaseMessage, DeskAccount
from bot.infra.crypto import Cipher
from bot.infra.sql import (
    Case,
    OutboxEntry,
    Pupil,
    Store,
    TranscriptLine,
    utcnow,
)

__all__ = ["CounsellorInbound", "HandoffError", "HandoffService", "Routing"]

log = logging.getLogger(__name__)

STOP_COMMAND = "stop"
SERVICE_FLOWS = HANDOFF_FLOWS  # the flows this service starts itself


class PupilSide:
    """The pupil-facing side of the handoff: open a case, leave it, relay, alert, erase."""

    def __init__(self, context: HandoffContext, outbox: CaseOutbox) -> None:
        self.context = context
        self.outbox = outbox

    async def active_case(self, session: AsyncSession, pupil_id: str) -> Case | None:
        """The pupil's claimed case (a counsellor is talking with them), if any."""
        return (
            await session.scalars(
                select(Case)
                .where(Case.pupil_id == pupil_id, Case.status == "claimed")
                .order_by(Case.id.desc())
                .limit(1)
            )
        ).first()

    async def open_case(
        self, session: AsyncSession, pupil_id: str, state: State, kind: str, priority: str
    ) -> tuple[Message, ...]:
        """Open a case and notify the counsellors; returns what the pupil hears while waiting."""
        texts = self.context.texts
        existing = await self.outbox.open_case_of(session, pupil_id)
        if existing is not None:
            if existing.status == "claimed":
                return (Message(texts.p("already_talking", name=existing.counsellor_name)),)
            return (
                Message(texts.p("already_open"), (Button(texts.p("cancel_button"), PUPIL_CANCEL),)),
            )
        network = state.slots.get("network")
        consent = notices.consent_of(state.slots.get("share_consent"))
        urgent = priority == "urgent"
        previous = await self._previous_counsellor(session, pupil_id)
        destination = previous[2] if previous else self.context.routing.destination(network)
        lines = notices.summary_lines(self.context.content, texts, state.slots, consent)
        upto = await session.scalar(
            select(func.max(TranscriptLine.id)).where(TranscriptLine.pupil_id == pupil_id)
        )
        case = Case(
            pupil_id=pupil_id,
            kind=kind[:16],
            priority="urgent" if urgent else "normal",
            network=network,
            status="pending",
            consent=consent,
            destination=destination,
            created_at=self.context.clock(),
            summary=self.context.cipher.seal(
                {
                    "lines": lines,
                    "transcript_upto": upto,
                    "previous": previous[0] if previous else None,
                }
            ),
        )
        session.add(case)
        await session.flush()
        events.record(session, "handoff_requested", network, case.kind, when=case.created_at)
        if destination:
            self.outbox.notify_case(session, case, lines, previous)
        emails = self.context.routing.email_destinations(network)
        for address in emails:
            self.outbox.email_case(session, case, address)
        self.outbox.audit(
            session,
            pupil_id,
            "open",
            case.id,
            f"kind={case.kind} priority={case.priority} consent={consent}",
        )
        log.info(
            "case %s opened kind=%s priority=%s network=%s",
            case.id,
            case.kind,
            case.priority,
            network,
        )
        reachable = bool(destination or emails) or await self._desk_covers(session, network)
        return self._waiting(network, reachable)

    async def pupil_event(
        self, session: AsyncSession, pupil_id: str, state: State, event: Event, case: Case | None
    ) -> tuple[Event, Case | None]:
        """Let the handoff decide about a pupil's event before the engine sees it.

        `/stop` or the cancel/end button ends the talk or withdraws the request (the event
        becomes a handoff flow); everything else is unchanged (during a talk a button press
        reaches the counsellor like a typed text: bot.conversation.service). Returns the event
        to run and the case to relay to (None: do not relay).
        """
        if _wants_out(event):
            current = await self.outbox.open_case_of(session, pupil_id)
            if current is not None:
                return FlowTriggered(await self._pupil_leaves(session, current)), None
        return event, case

    async def relay_to_counsellor(
        self, session: AsyncSession, case: Case, text: str, key: str
    ) -> None:
        """Copy a pupil message to the counsellor thread of the case."""
        if case.destination:
            text = self.context.texts.c(
                "pupil_says", case=case.id, text=notices.clip(text, MAX_RELAY)
            )
            self.outbox.to_thread(session, case, text, f"relay:{key}")

    async def raise_alert(
        self,
        session: AsyncSession,
        pupil_id: str,
        state: State,
        category: str,
        rule: str | None,
        key: str,
    ) -> None:
        """A priority alert for counsellors: category, network, time; never the pupil's words."""
        texts = self.context.texts
        network = state.slots.get("network")
        label = texts.categories.get(category, category)
        at = notices.local_time(self.context.clock(), with_date=False)
        log.warning("safety alert category=%s rule=%s pupil=%s", category, rule, pupil_id)
        case = await self.outbox.open_case_of(session, pupil_id)
        destination = case.destination if case else self.context.routing.destination(network)
        if destination is None:
            return
        if case is not None:
            text = texts.c("alert_case", case=case.id, category=label, time=at)
            payload = notices.message(
                text, chat=notices.chat_of(destination), reply_to=message_ref(case.thread_ref)
            )
            self.outbox.audit(session, "system", "alert", case.id, f"category={category}")
        else:
            text = texts.c("alert", category=label, network=texts.network(network), time=at)
            payload = notices.message(text)
        enqueue(
            session,
            self.context.cipher,
            notices.lane(destination, True),
            payload,
            f"alert:{key}",
            URGENT,
            pupil_id,
            case.id if case else None,
        )

    async def erase(self, session: AsyncSession, pupil_id: str) -> None:
        """Erase the pupil's cases and pending messages; tell the counsellor side."""
        cases = (await session.scalars(select(Case).where(Case.pupil_id == pupil_id))).all()
        pupil = await session.get(Pupil, pupil_id)
        if pupil is not None:
            pupil.counsellor_id = None  # the link to a former counsellor goes too
        await session.execute(delete(OutboxEntry).where(OutboxEntry.pupil_id == pupil_id))
        for case in cases:
            if case.destination and case.status in CLOSABLE:
                payload = notices.message(
                    self.context.texts.c("erased", case=case.id),
                    reply_to=message_ref(case.thread_ref),
                )
                enqueue(
                    session,
                    self.context.cipher,
                    notices.lane(case.destination, case.priority == "urgent"),
                    payload,
                    f"case:{case.id}:erased",
                    NORMAL,
                    None,
                    None,
                )
            await session.execute(delete(CaseMessage).where(CaseMessage.case_id == case.id))
            self.outbox.audit(session, pupil_id, "erase", case.id)
            await session.delete(case)

    async def _pupil_leaves(self, session: AsyncSession, case: Case) -> str:
        """The pupil ends the talk (claimed) or withdraws the request (pending)."""
        texts = self.context.texts
        key = f"case:{case.id}:left"
        if case.status == "claimed":
            case.status = "ended"
            self.outbox.to_thread(
                session,
                case,
                texts.c("pupil_ended", case=case.id),
                key,
                notices.outcome_buttons(texts, case.id),
            )
            self.outbox.audit(session, case.pupil_id, "end", case.id)
            log.info("case %s ended by the pupil", case.id)
            return FLOW_ENDED
        case.status, case.closed_at = "cancelled", self.context.clock()
        self.outbox.to_thread(session, case, texts.c("pupil_cancelled", case=case.id), key)
        self.outbox.audit(session, case.pupil_id, "cancel", case.id)
        log.info("case %s cancelled by the pupil", case.id)
        return FLOW_CANCELLED

    def _waiting(self, network: str | None, reachable: bool) -> tuple[Message, ...]:
        texts = self.context.texts
        cancel = (Button(texts.p("cancel_button"), PUPIL_CANCEL),)
        if not reachable:
            return (Message(texts.p("no_counsellor")), Message(texts.p("meanwhile")))
        name = texts.network_names.get(network or "") or texts.p("any_network")
        hours = texts.hours_for(network)
        now = self.context.clock()
        if hours is None or hours.is_open(now):
            minutes = int(self.context.routing.claim_timeout.total_seconds() // 60)
            return (Message(texts.p("waiting_open", network=name, minutes=minutes), cancel),)
        opens = hours.next_open(now)
        first = (
            Message(texts.p("waiting_closed", network=name, when=texts.when(opens, now)))
            if opens
            else Message(texts.p("delayed_now"))
        )
        return (first, Message(texts.p("meanwhile"), cancel))

    async def _desk_covers(self, session: AsyncSession, network: str | None) -> bool:
        """True when an enabled desk account serves this network (a desk-only network)."""
        scopes = (
            await session.scalars(
                select(DeskAccount.networks).where(DeskAccount.disabled.is_(False))
            )
        ).all()
        return any("*" in scope.split(",") or network in scope.split(",") for scope in scopes)

    async def _previous_counsellor(
        self, session: AsyncSession, pupil_id: str
    ) -> tuple[str, str | None, str] | None:
        """(counsellor ref, first name, chat destination) of the pupil's former counsellor."""
        pupil = await session.get(Pupil, pupil_id)
        if pupil is None or not pupil.counsellor_id:
            return None
        last = (
            await session.scalars(
                select(Case)
                .where(Case.pupil_id == pupil_id, Case.counsellor_id == pupil.counsellor_id)
                .order_by(Case.id.desc())
                .limit(1)
            )
        ).first()
        chat = notices.chat_of(last.destination) if last else None
        if last is None or chat is None or chat not in self.context.routing.chats():
            return None
        return pupil.counsellor_id, last.counsellor_name, f"tg:{chat}"


class HandoffService:
    """The handoff, wired in one place: the parts share one HandoffContext.

    The public methods are a thin facade over the parts, so the rest of the bot sees one
    service: CaseOutbox (what is sent about a case), CounsellorDesk (what counsellors do),
    PupilSide (what pupils do) and Reminders (unclaimed cases).
    """

    def __init__(
        self,
        content: Content,
        cipher: Cipher,
        routing: Routing,
        store: Store | None = None,
        pupil_channels: frozenset[str] = frozenset({"telegram"}),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.context = HandoffContext(content, cipher, routing, store, pupil_channels, clock)
        self.outbox = CaseOutbox(self.context)
        states = PupilStates(self.context)
        self.desk = CounsellorDesk(self.context, self.outbox, states)
        self.pupils = PupilSide(self.context, self.outbox)
        self.reminders = Reminders(self.context, self.outbox)

    @property
    def content(self) -> Content:
        """The content the handoff texts and flows come from (replaced on a reload)."""
        return self.context.content

    @content.setter
    def content(self, content: Content) -> None:
        self.context.content = content

    @property
    def clock(self) -> Callable[[], datetime]:
        """The clock of every part (tests set it)."""
        return self.context.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.context.clock = clock

    @property
    def on_commit(self) -> Callable[[], None]:
        """Called after a transaction that put messages in the outbox (wakes the dispatcher)."""
        return self.context.on_commit

    @on_commit.setter
    def on_commit(self, on_commit: Callable[[], None]) -> None:
        self.context.on_commit = on_commit

    @property
    def cipher(self) -> Cipher:
        """The cipher of states, transcripts and outbox payloads."""
        return self.context.cipher

    @property
    def routing(self) -> Routing:
        """Where cases go (config/handoff.yml)."""
        return self.context.routing

    @property
    def store(self) -> Store | None:
        """The database, if the service was built with one."""
        return self.context.store

    @property
    def texts(self) -> CounsellorTexts:
        """The handoff texts from content/counsellor.yml."""
        return self.context.texts

    def is_counsellor_chat(self, chat_id: str) -> bool:
        """True when this chat is a configured counsellor destination."""
        return self.desk.is_counsellor_chat(chat_id)

    async def active_case(self, session: AsyncSession, pupil_id: str) -> Case | None:
        """The pupil's claimed case (a counsellor is talking with them), if any."""
        return await self.pupils.active_case(session, pupil_id)

    async def open_case(
        self, session: AsyncSession, pupil_id: str, state: State, kind: str, priority: str
    ) -> tuple[Message, ...]:
        """Open a case and notify the counsellors; returns what the pupil hears while waiting."""
        return await self.pupils.open_case(session, pupil_id, state, kind, priority)

    async def pupil_event(
        self, session: AsyncSession, pupil_id: str, state: State, event: Event, case: Case | None
    ) -> tuple[Event, Case | None]:
        """Let the handoff decide about a pupil's event before the engine sees it."""
        return await self.pupils.pupil_event(session, pupil_id, state, event, case)

    async def relay_to_counsellor(
        self, session: AsyncSession, case: Case, text: str, key: str
    ) -> None:
        """Copy a pupil message to the counsellor thread of the case."""
        await self.pupils.relay_to_counsellor(session, case, text, key)

    async def raise_alert(
        self,
        session: AsyncSession,
        pupil_id: str,
        state: State,
        category: str,
        rule: str | None,
        key: str,
    ) -> None:
        """A priority alert for counsellors: category, network, time; never the pupil's words."""
        await self.pupils.raise_alert(session, pupil_id, state, category, rule, key)

    async def erase(self, session: AsyncSession, pupil_id: str) -> None:
        """Erase the pupil's cases and pending messages; tell the counsellor side."""
        await self.pupils.erase(session, pupil_id)

    async def handle_counsellor(self, inbound: CounsellorInbound) -> None:
        """Claim, reply, show the conversation, close: from a counsellor chat, via the outbox."""
        await self.desk.handle(inbound)

    async def remind_unclaimed(self, now: datetime | None = None) -> int:
        """Remind counsellors of cases nobody claimed in time; returns how many were reminded."""
        return await self.reminders.remind(now)

    async def run_reminders(self, stop: asyncio.Event, every: float = 60.0) -> None:
        """Call `remind_unclaimed` every `every` seconds until `stop` is set."""
        await self.reminders.run(stop, every)

    def senders(self, senders: Mapping[str, Sender]) -> dict[str, Sender]:
        """The senders for the Dispatcher: the Telegram one wrapped so it finds case threads."""
        wired = dict(senders)
        if "tg" in wired and not isinstance(wired["tg"], CaseThreadSender):
            wired["tg"] = CaseThreadSender(wired["tg"], self.context.require_store())
        return wired

    async def on_sent(
        self, session: AsyncSession, payload: Mapping[str, Any], result: Mapping[str, Any]
    ) -> None:
        """Remember where a case message landed: replies to it reach the case's pupil."""
        await self.outbox.record_sent(session, payload, result)


def _wants_out(event: Event) -> bool:
    if isinstance(event, CommandGiven):
        return event.name == STOP_COMMAND
    return isinstance(event, ButtonPressed) and event.payload in (PUPIL_CANCEL, PUPIL_END)
