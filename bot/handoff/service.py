"""Handoff to a human counsellor: cases, consent, routing, notifications, live relay, erasure.

Over 400 lines on purpose, for now: the use cases here share the case life cycle below and
one class, built by inheritance over cases.py and desk.py; splitting this file before that
chain becomes composition (issue 13, item 1) would only spread one class over more files.

A case lives like this:

    pending ──claim──> claimed ──pupil /stop──> ended ──close (outcome)──> closed
       │                  └──────────close (outcome)──────────────────────> closed
       ├──pupil /stop or "cancel" button──> cancelled
       └──close (outcome)──> closed

Everything that leaves goes through the outbox, in the same transaction as the change that
caused it: nothing is lost and nothing is sent twice. Counsellor messages in a case thread
reach the pupil as "<first name> (<role>): ...", never with their Telegram account.

Modules: handoff_outbox (building blocks, the case-thread Sender), handoff_desk (what
counsellors do), handoff_notices (texts and summaries, pure), handoff_routing (config file).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import NORMAL, URGENT, Sender, enqueue
from bot.flows import engine
from bot.flows.actions import Button, Message
from bot.flows.events import ButtonPressed, CommandGiven, Event, FlowTriggered
from bot.flows.state import State
from bot.handoff import notices
from bot.handoff.cases import (
    CLOSABLE,
    MAX_RELAY,
    PUPIL_CANCEL,
    PUPIL_END,
    CaseThreadSender,
    HandoffError,
    aware,
    message_ref,
)
from bot.handoff.desk import CounsellorDesk, CounsellorInbound
from bot.handoff.flows import FLOW_CANCELLED, FLOW_ENDED, HANDOFF_FLOWS
from bot.handoff.routing import Routing
from bot.handoff.tables import CaseMessage
from bot.infra.sql import (
    Case,
    OutboxEntry,
    ProcessedUpdate,
    Pupil,
    TranscriptLine,
)

__all__ = ["CounsellorInbound", "HandoffError", "HandoffService", "Routing"]

log = logging.getLogger(__name__)

STOP_COMMAND = "stop"
SERVICE_FLOWS = HANDOFF_FLOWS  # the flows this service starts itself


class HandoffService(CounsellorDesk):
    """Opens and tracks cases; everything it sends goes through the outbox."""

    def is_counsellor_chat(self, chat_id: str) -> bool:
        """True when this chat is a configured counsellor destination."""
        return str(chat_id) in self.routing.chats()

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
        texts = self.texts
        existing = await self._open_case_of(session, pupil_id)
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
        destination = previous[2] if previous else self.routing.destination(network)
        lines = notices.summary_lines(self.content, texts, state.slots, consent)
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
            created_at=self.clock(),
            summary=self.cipher.seal(
                {
                    "lines": lines,
                    "transcript_upto": upto,
                    "previous": previous[0] if previous else None,
                }
            ),
        )
        session.add(case)
        await session.flush()
        if destination:
            self._notify_case(session, case, lines, previous)
        emails = self.routing.email_destinations(network)
        for address in emails:
            self._email_case(session, case, address)
        self._audit(
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
        return self._waiting(network, bool(destination or emails))

    async def pupil_event(
        self, session: AsyncSession, pupil_id: str, state: State, event: Event, case: Case | None
    ) -> tuple[Event, Case | None]:
        """Let the handoff decide about a pupil's event before the engine sees it.

        `/stop` or the cancel/end button ends the talk or withdraws the request (the event
        becomes a handoff flow). During a claimed case a press on a button of the question the
        bot is waiting for goes to the engine (returned case None); everything else is
        unchanged. Returns the event to run and the case to relay to (None: do not relay).
        """
        if _wants_out(event):
            current = await self._open_case_of(session, pupil_id)
            if current is not None:
                return FlowTriggered(await self._pupil_leaves(session, current)), None
        if (
            case is not None
            and isinstance(event, ButtonPressed)
            and _answers_bot(state, event.payload)
        ):
            return event, None
        return event, case

    async def relay_to_counsellor(
        self, session: AsyncSession, case: Case, text: str, key: str
    ) -> None:
        """Copy a pupil message to the counsellor thread of the case."""
        if case.destination:
            text = self.texts.c("pupil_says", case=case.id, text=notices.clip(text, MAX_RELAY))
            self._to_thread(session, case, text, f"relay:{key}")

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
        texts = self.texts
        network = state.slots.get("network")
        label = texts.categories.get(category, category)
        at = notices.local_time(self.clock(), with_date=False)
        log.warning("safety alert category=%s rule=%s pupil=%s", category, rule, pupil_id)
        case = await self._open_case_of(session, pupil_id)
        destination = case.destination if case else self.routing.destination(network)
        if destination is None:
            return
        if case is not None:
            text = texts.c("alert_case", case=case.id, category=label, time=at)
            payload = notices.message(
                text, chat=notices.chat_of(destination), reply_to=message_ref(case.thread_ref)
            )
            self._audit(session, "system", "alert", case.id, f"category={category}")
        else:
            text = texts.c("alert", category=label, network=texts.network(network), time=at)
            payload = notices.message(text)
        enqueue(
            session,
            self.cipher,
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
                    self.texts.c("erased", case=case.id), reply_to=message_ref(case.thread_ref)
                )
                enqueue(
                    session,
                    self.cipher,
                    notices.lane(case.destination, case.priority == "urgent"),
                    payload,
                    f"case:{case.id}:erased",
                    NORMAL,
                    None,
                    None,
                )
            await session.execute(delete(CaseMessage).where(CaseMessage.case_id == case.id))
            self._audit(session, pupil_id, "erase", case.id)
            await session.delete(case)

    async def handle_counsellor(self, inbound: CounsellorInbound) -> None:
        """Claim, reply, show the conversation, close: from a counsellor chat, via the outbox."""
        store = self._store()
        chat = str(inbound.chat_id)
        if not self.is_counsellor_chat(chat):
            log.info("counsellor update from a chat that is not configured ignored")
            return
        command = await self._command(inbound)
        if command is None:
            return
        case_id, action, argument = command
        pupil_id = await self._pupil_of(case_id)
        if pupil_id is None:
            return
        try:
            async with store.pupil_transaction(pupil_id) as session:
                key = f"counsellor:{inbound.update_id}" if inbound.update_id else None
                seen = await session.get(ProcessedUpdate, key) if key else None
                if seen is not None:
                    return
                case = await session.get(Case, case_id)
                if case is None:
                    return
                if key:
                    session.add(ProcessedUpdate(key=key, pupil_id=pupil_id))
                await self._act(session, case, inbound, action, argument)
        except IntegrityError:
            log.info("duplicate counsellor update dropped")
            return
        self.on_commit()

    async def remind_unclaimed(self, now: datetime | None = None) -> int:
        """Remind counsellors of cases nobody claimed in time (in office hours); tell the pupil
        once that it takes longer. Run it every minute or so. Returns how many were reminded."""
        now = now or self.clock()
        texts, routing = self.texts, self.routing
        reminded = 0
        try:
            async with self._store().transaction() as session:
                cases = (
                    await session.scalars(
                        select(Case).where(Case.status == "pending").order_by(Case.id)
                    )
                ).all()
                for case in cases:
                    hours = texts.hours_for(case.network)
                    created = aware(case.created_at)
                    start = hours.next_open(created) if hours else created
                    if start is None or now < start + routing.claim_timeout:
                        continue
                    if hours is not None and not hours.is_open(now):
                        continue
                    last = aware(case.reminded_at) if case.reminded_at else None
                    if last is not None and now - last < routing.reminder_every:
                        continue
                    self._remind(session, case, now, first=last is None, start=start)
                    reminded += 1
        except IntegrityError:
            log.info("reminders already sent by another worker")
            return 0
        if reminded:
            self.on_commit()
        return reminded

    async def run_reminders(self, stop: asyncio.Event, every: float = 60.0) -> None:
        """Call `remind_unclaimed` every `every` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                await self.remind_unclaimed()
            except Exception as exc:  # the loop must survive a database hiccup
                log.warning("reminder pass failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    def senders(self, senders: Mapping[str, Sender]) -> dict[str, Sender]:
        """The senders for the Dispatcher: the Telegram one wrapped so it finds case threads."""
        wired = dict(senders)
        if "tg" in wired and not isinstance(wired["tg"], CaseThreadSender):
            wired["tg"] = CaseThreadSender(wired["tg"], self._store())
        return wired

    async def on_sent(
        self, session: AsyncSession, payload: Mapping[str, Any], result: Mapping[str, Any]
    ) -> None:
        """Remember where a case message landed: replies to it reach the case's pupil."""
        case_id, chat, message_id = (
            payload.get("case_id"),
            payload.get("chat"),
            result.get("message_id"),
        )
        if case_id is None or chat is None or message_id is None:
            return
        case = await session.get(Case, int(case_id))
        if case is None:
            return
        session.add(CaseMessage(chat=str(chat), message_id=str(message_id), case_id=case.id))
        if payload.get("opens_thread") and case.thread_ref is None:
            case.thread_ref = str(message_id)

    async def _pupil_leaves(self, session: AsyncSession, case: Case) -> str:
        """The pupil ends the talk (claimed) or withdraws the request (pending)."""
        texts = self.texts
        key = f"case:{case.id}:left"
        if case.status == "claimed":
            case.status = "ended"
            self._to_thread(
                session,
                case,
                texts.c("pupil_ended", case=case.id),
                key,
                notices.outcome_buttons(texts, case.id),
            )
            self._audit(session, case.pupil_id, "end", case.id)
            log.info("case %s ended by the pupil", case.id)
            return FLOW_ENDED
        case.status, case.closed_at = "cancelled", self.clock()
        self._to_thread(session, case, texts.c("pupil_cancelled", case=case.id), key)
        self._audit(session, case.pupil_id, "cancel", case.id)
        log.info("case %s cancelled by the pupil", case.id)
        return FLOW_CANCELLED

    def _remind(
        self, session: AsyncSession, case: Case, now: datetime, first: bool, start: datetime
    ) -> None:
        texts = self.texts
        minutes = int((now - start).total_seconds() // 60)
        bucket = int(now.timestamp() // max(self.routing.reminder_every.total_seconds(), 1))
        if case.destination:
            self._to_thread(
                session,
                case,
                texts.c("reminder", case=case.id, minutes=minutes),
                f"case:{case.id}:remind:{bucket}",
            )
        if first:
            enqueue(
                session,
                self.cipher,
                f"pupil:{case.pupil_id}",
                {"kind": "message", **Message(texts.p("delayed_now")).to_json()},
                f"case:{case.id}:delayed:p0",
                NORMAL,
                case.pupil_id,
            )
            enqueue(
                session,
                self.cipher,
                f"pupil:{case.pupil_id}",
                {"kind": "message", **Message(texts.p("meanwhile")).to_json()},
                f"case:{case.id}:delayed:p1",
                NORMAL,
                case.pupil_id,
            )
        case.reminded_at = now
        self._audit(session, "system", "remind", case.id, f"minutes={minutes}")

    def _waiting(self, network: str | None, reachable: bool) -> tuple[Message, ...]:
        texts = self.texts
        cancel = (Button(texts.p("cancel_button"), PUPIL_CANCEL),)
        if not reachable:
            return (Message(texts.p("no_counsellor")), Message(texts.p("meanwhile")))
        name = texts.network_names.get(network or "") or texts.p("any_network")
        hours = texts.hours_for(network)
        now = self.clock()
        if hours is None or hours.is_open(now):
            minutes = int(self.routing.claim_timeout.total_seconds() // 60)
            return (Message(texts.p("waiting_open", network=name, minutes=minutes), cancel),)
        opens = hours.next_open(now)
        first = (
            Message(texts.p("waiting_closed", network=name, when=texts.when(opens, now)))
            if opens
            else Message(texts.p("delayed_now"))
        )
        return (first, Message(texts.p("meanwhile"), cancel))

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
        if last is None or chat is None or chat not in self.routing.chats():
            return None
        return pupil.counsellor_id, last.counsellor_name, f"tg:{chat}"


def _wants_out(event: Event) -> bool:
    if isinstance(event, CommandGiven):
        return event.name == STOP_COMMAND
    return isinstance(event, ButtonPressed) and event.payload in (PUPIL_CANCEL, PUPIL_END)


def _answers_bot(state: State, payload: str) -> bool:
    """True for a global button, or a button of the question the bot waits for."""
    if payload.startswith(engine.GLOBAL_PREFIX):
        return True
    waiting = state.waiting
    flow, _, rest = payload.partition(".")
    return waiting is not None and (flow, rest.partition(":")[0]) == (waiting.flow, waiting.step)
