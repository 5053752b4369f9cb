"""Handoff to a human counsellor: cases, consent, routing, notifications, live relay, erasure.

A case lives like this:

    pending ──claim──> claimed ──pupil /stop──> ended ──close (outcome)──> closed
       │                  └──────────close (outcome)──────────────────────> closed
       ├──pupil /stop or "cancel" button──> cancelled
       └──close (outcome)──> closed

Everything that leaves goes through the outbox, in the same transaction as the change that
caused it: nothing is lost and nothing is sent twice. Counsellor messages in a case thread
reach the pupil as "<first name> (<role>): ...", never with their Telegram account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.sql import (
    AuditEntry,
    Case,
    OutboxEntry,
    ProcessedUpdate,
    Pupil,
    Store,
    TranscriptLine,
    utcnow,
)
from bot.adapters.sql_handoff import CaseMessage
from bot.content.counsellor import CounsellorTexts
from bot.content.model import Content
from bot.core import engine
from bot.core.actions import Button, Message
from bot.core.crypto import Cipher
from bot.core.events import ButtonPressed, CommandGiven, Event, FlowTriggered
from bot.core.state import State
from bot.errors import RetryLater, WegwijsError
from bot.services import handoff_notices as notices
from bot.services.handoff_routing import Routing
from bot.services.outbox import NORMAL, URGENT, Sender, enqueue

__all__ = ["CounsellorInbound", "HandoffService", "Routing"]

log = logging.getLogger(__name__)

OPEN_STATUSES = ("pending", "claimed")
CLOSABLE = ("pending", "claimed", "ended")
PUPIL_CANCEL = "!handoff:cancel"
PUPIL_END = "!handoff:end"
STOP_COMMAND = "stop"
FLOW_CANCELLED = "handoff_cancelled"
FLOW_ENDED = "handoff_ended"
FLOW_FEEDBACK = "handoff_feedback"
SERVICE_FLOWS = (FLOW_CANCELLED, FLOW_ENDED, FLOW_FEEDBACK)
TELEGRAM_KEYS = ("kind", "text", "buttons", "thread", "reply_to")
MAX_RELAY = 3500
TRANSCRIPT_LINES = 300


class HandoffError(WegwijsError):
    """The handoff service cannot work (e.g. content/counsellor.yml was not loaded)."""


@dataclass(frozen=True, slots=True)
class CounsellorInbound:
    """Something a counsellor did in a counsellor chat: a message or a button press."""

    chat_id: str
    user_id: str
    user_name: str
    update_id: str | None = None
    thread_id: str | None = None
    reply_to_message_id: str | None = None
    text: str | None = None
    callback_data: str | None = None


@dataclass(frozen=True, slots=True)
class _Actor:
    """A counsellor as the service sees them: audit id, first name and role key."""

    ref: str
    name: str
    role: str


class HandoffService:
    """Opens and tracks cases; everything it sends goes through the outbox."""

    def __init__(self, content: Content, cipher: Cipher, routing: Routing,
                 store: Store | None = None,
                 pupil_channels: frozenset[str] = frozenset({"telegram"}),
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.content = content
        self.cipher = cipher
        self.routing = routing
        self.store = store
        self.pupil_channels = pupil_channels
        self.clock = clock
        self.on_commit: Callable[[], None] = lambda: None

    @property
    def texts(self) -> CounsellorTexts:
        """The handoff texts from content/counsellor.yml."""
        texts = self.content.counsellor
        if not isinstance(texts, CounsellorTexts):
            raise HandoffError("content/counsellor.yml is not loaded")
        return texts

    def is_counsellor_chat(self, chat_id: str) -> bool:
        """True when this chat is a configured counsellor destination."""
        return str(chat_id) in self.routing.chats()

    # --- the pupil's side (inside the pupil's transaction) -------------------------------

    async def active_case(self, session: AsyncSession, pupil_id: str) -> Case | None:
        """The pupil's claimed case (a counsellor is talking with them), if any."""
        return (await session.scalars(
            select(Case).where(Case.pupil_id == pupil_id, Case.status == "claimed")
            .order_by(Case.id.desc()).limit(1))).first()

    async def open_case(self, session: AsyncSession, pupil_id: str, state: State, kind: str,
                        priority: str) -> tuple[Message, ...]:
        """Open a case and notify the counsellors; returns what the pupil hears while waiting."""
        texts = self.texts
        existing = await self._open_case_of(session, pupil_id)
        if existing is not None:
            if existing.status == "claimed":
                return (Message(texts.p("already_talking", name=existing.counsellor_name)),)
            return (Message(texts.p("already_open"),
                            (Button(texts.p("cancel_button"), PUPIL_CANCEL),)),)
        network = state.slots.get("network")
        consent = notices.consent_of(state.slots.get("share_consent"))
        urgent = priority == "urgent"
        previous = await self._previous_counsellor(session, pupil_id)
        destination = previous[2] if previous else self.routing.destination(network)
        lines = notices.summary_lines(self.content, texts, state.slots, consent)
        upto = await session.scalar(select(func.max(TranscriptLine.id))
                                    .where(TranscriptLine.pupil_id == pupil_id))
        case = Case(pupil_id=pupil_id, kind=kind[:16], priority="urgent" if urgent else "normal",
                    network=network, status="pending", consent=consent,
                    destination=destination, created_at=self.clock(),
                    summary=self.cipher.seal({"lines": lines, "transcript_upto": upto,
                                              "previous": previous[0] if previous else None}))
        session.add(case)
        await session.flush()
        if destination:
            self._notify_case(session, case, lines, previous)
        emails = self.routing.email_destinations(network)
        for address in emails:
            self._email_case(session, case, address)
        self._audit(session, pupil_id, "open", case.id,
                    f"kind={case.kind} priority={case.priority} consent={consent}")
        log.info("case %s opened kind=%s priority=%s network=%s", case.id, case.kind,
                 case.priority, network)
        return self._waiting(network, bool(destination or emails))

    async def pupil_event(self, session: AsyncSession, pupil_id: str, state: State,
                          event: Event, case: Case | None) -> tuple[Event, Case | None]:
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
        if case is not None and isinstance(event, ButtonPressed) \
                and _answers_bot(state, event.payload):
            return event, None
        return event, case

    async def relay_to_counsellor(self, session: AsyncSession, case: Case, text: str,
                                  key: str) -> None:
        """Copy a pupil message to the counsellor thread of the case."""
        if case.destination:
            text = self.texts.c("pupil_says", case=case.id, text=notices.clip(text, MAX_RELAY))
            self._to_thread(session, case, text, f"relay:{key}")

    async def raise_alert(self, session: AsyncSession, pupil_id: str, state: State,
                          category: str, rule: str | None, key: str) -> None:
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
            payload = notices.message(text, chat=notices.chat_of(destination),
                                      reply_to=_message_ref(case.thread_ref))
            self._audit(session, "system", "alert", case.id, f"category={category}")
        else:
            text = texts.c("alert", category=label, network=texts.network(network), time=at)
            payload = notices.message(text)
        enqueue(session, self.cipher, notices.lane(destination, True), payload,
                f"alert:{key}", URGENT, pupil_id, case.id if case else None)

    async def erase(self, session: AsyncSession, pupil_id: str) -> None:
        """Erase the pupil's cases and pending messages; tell the counsellor side."""
        cases = (await session.scalars(select(Case).where(Case.pupil_id == pupil_id))).all()
        pupil = await session.get(Pupil, pupil_id)
        if pupil is not None:
            pupil.counsellor_id = None  # the link to a former counsellor goes too
        await session.execute(delete(OutboxEntry).where(OutboxEntry.pupil_id == pupil_id))
        for case in cases:
            if case.destination and case.status in CLOSABLE:
                payload = notices.message(self.texts.c("erased", case=case.id),
                                          reply_to=_message_ref(case.thread_ref))
                enqueue(session, self.cipher, notices.lane(case.destination,
                                                           case.priority == "urgent"),
                        payload, f"case:{case.id}:erased", NORMAL, None, None)
            await session.execute(delete(CaseMessage).where(CaseMessage.case_id == case.id))
            self._audit(session, pupil_id, "erase", case.id)
            await session.delete(case)

    # --- the counsellors' side ------------------------------------------------------------

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
                cases = (await session.scalars(
                    select(Case).where(Case.status == "pending").order_by(Case.id))).all()
                for case in cases:
                    hours = texts.hours_for(case.network)
                    created = _aware(case.created_at)
                    start = hours.next_open(created) if hours else created
                    if start is None or now < start + routing.claim_timeout:
                        continue
                    if hours is not None and not hours.is_open(now):
                        continue
                    last = _aware(case.reminded_at) if case.reminded_at else None
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

    # --- outbox wiring ---------------------------------------------------------------------

    def senders(self, senders: Mapping[str, Sender]) -> dict[str, Sender]:
        """The senders for the Dispatcher: the Telegram one finds case threads; e-mail added."""
        wired = dict(senders)
        if "tg" in wired and not isinstance(wired["tg"], CaseThreadSender):
            wired["tg"] = CaseThreadSender(wired["tg"], self._store())
        if "email" not in wired and self.routing.smtp is not None:
            from bot.adapters.smtp import SmtpSender

            wired["email"] = SmtpSender(self.routing.smtp)
        return wired

    async def on_sent(self, session: AsyncSession, payload: Mapping[str, Any],
                      result: Mapping[str, Any]) -> None:
        """Remember where a case message landed: replies to it reach the case's pupil."""
        case_id, chat, message_id = payload.get("case_id"), payload.get("chat"), \
            result.get("message_id")
        if case_id is None or chat is None or message_id is None:
            return
        case = await session.get(Case, int(case_id))
        if case is None:
            return
        session.add(CaseMessage(chat=str(chat), message_id=str(message_id), case_id=case.id))
        if payload.get("opens_thread") and case.thread_ref is None:
            case.thread_ref = str(message_id)

    # --- counsellor actions ----------------------------------------------------------------

    async def _command(self, inbound: CounsellorInbound) -> tuple[int, str, str | None] | None:
        if inbound.callback_data:
            return notices.parse_callback(inbound.callback_data)
        text = (inbound.text or "").strip()
        if not text or text.startswith("/"):
            return None
        refs = [r for r in (inbound.reply_to_message_id, inbound.thread_id) if r]
        if not refs:
            return None  # counsellors talking among themselves
        async with self._store().transaction() as session:
            for ref in refs:
                case_id = await session.scalar(
                    select(CaseMessage.case_id).where(CaseMessage.chat == str(inbound.chat_id),
                                                      CaseMessage.message_id == str(ref))
                    .order_by(CaseMessage.id.desc()).limit(1))
                if case_id is not None:
                    return int(case_id), "reply", None
        return None

    async def _pupil_of(self, case_id: int) -> str | None:
        async with self._store().transaction() as session:
            found = await session.scalar(select(Case.pupil_id).where(Case.id == case_id))
        return str(found) if found is not None else None

    async def _act(self, session: AsyncSession, case: Case, inbound: CounsellorInbound,
                   action: str, argument: str | None) -> None:
        actor = self._actor(inbound)
        key = f"c:{inbound.update_id or uuid.uuid4().hex}"
        if not self._may_act(inbound, case):
            self._audit(session, actor.ref, "refused", case.id, action)
            self._to_chat(session, case, str(inbound.chat_id),
                          self.texts.c("not_allowed", case=case.id), f"{key}:refused")
            log.info("case %s: %s refused for a counsellor not on the list", case.id, action)
            return
        if action == "claim":
            await self._claim(session, case, actor, key)
        elif action == "close" and argument is None:
            await self._ask_outcome(session, case, actor, key)
        elif action == "close" and argument is not None:
            await self._close(session, case, actor, argument, key)
        elif action == "transcript":
            await self._transcript(session, case, actor, key)
        elif action == "reply":
            await self._reply(session, case, actor, inbound.text or "", key)

    def _may_act(self, inbound: CounsellorInbound, case: Case) -> bool:
        return (self.routing.allows(str(inbound.user_id))
                and notices.chat_of(case.destination) == str(inbound.chat_id))

    async def _claim(self, session: AsyncSession, case: Case, actor: _Actor, key: str) -> bool:
        texts = self.texts
        if case.status == "claimed" and case.counsellor_id == actor.ref:
            return True
        if case.status == "claimed":
            self._to_thread(session, case, texts.c("already_claimed", case=case.id,
                                                   name=case.counsellor_name), f"{key}:taken")
            return False
        if case.status != "pending":
            self._to_thread(session, case, texts.c("not_open", case=case.id), f"{key}:closed")
            return False
        reserved = self._reserved(case, actor)
        if reserved is not None:
            name, minutes = reserved
            self._to_thread(session, case, texts.c("reserved", case=case.id, name=name,
                                                   minutes=minutes), f"{key}:reserved")
            self._audit(session, actor.ref, "claim_reserved", case.id)
            return False
        case.status, case.counsellor_id, case.counsellor_name = "claimed", actor.ref, actor.name
        case.claimed_at = self.clock()
        pupil = await session.get(Pupil, case.pupil_id)
        self._to_thread(session, case, texts.c("claimed", case=case.id, name=actor.name),
                        f"{key}:claimed", notices.case_buttons(texts, case.id, case.consent,
                                                               claim=False))
        if pupil is not None:
            pupil.counsellor_id = actor.ref
            state = self._state(pupil)
            self._save(pupil, replace(state, stack=(), history=(), misses=0))
            hello = Message(texts.p("claimed", name=actor.name, role=texts.role(actor.role)),
                            (Button(texts.p("end_button"), PUPIL_END),))
            self._to_pupil(session, pupil, [hello], f"{key}:hello")
        self._audit(session, actor.ref, "claim", case.id)
        log.info("case %s claimed", case.id)
        return True

    async def _ask_outcome(self, session: AsyncSession, case: Case, actor: _Actor,
                           key: str) -> None:
        if case.status not in CLOSABLE:
            self._to_thread(session, case, self.texts.c("not_open", case=case.id), key)
            return
        self._to_thread(session, case, self.texts.c("choose_outcome", case=case.id),
                        f"{key}:outcome", notices.outcome_buttons(self.texts, case.id))
        self._audit(session, actor.ref, "close_asked", case.id)

    async def _close(self, session: AsyncSession, case: Case, actor: _Actor, outcome: str,
                     key: str) -> None:
        texts = self.texts
        if outcome not in texts.outcomes:
            return
        if case.status not in CLOSABLE:
            self._to_thread(session, case, texts.c("not_open", case=case.id), f"{key}:closed")
            return
        was = case.status
        case.status, case.outcome, case.closed_at = "closed", outcome, self.clock()
        self._to_thread(session, case, texts.c("closed", case=case.id, name=actor.name,
                                               outcome=texts.outcomes[outcome]), f"{key}:done")
        pupil = await session.get(Pupil, case.pupil_id)
        if pupil is not None and was == "claimed":
            goodbye = Message(texts.p("closed", name=case.counsellor_name))
            self._to_pupil(session, pupil, [goodbye, *self._run_flow(pupil, FLOW_FEEDBACK)],
                           f"{key}:bye")
        elif pupil is not None and was == "pending":
            state = self._state(pupil)
            self._save(pupil, state.with_slots(share_consent=None))
            self._to_pupil(session, pupil, [Message(texts.p("closed_unclaimed"))], f"{key}:bye")
        self._audit(session, actor.ref, "close", case.id, f"outcome={outcome}")
        log.info("case %s closed outcome=%s", case.id, outcome)

    async def _transcript(self, session: AsyncSession, case: Case, actor: _Actor,
                          key: str) -> None:
        texts = self.texts
        if case.consent != "full":
            self._to_thread(session, case, texts.c("transcript_none", case=case.id), key)
            self._audit(session, actor.ref, "transcript_refused", case.id)
            return
        # What was said up to the request: that is what the pupil agreed to share.
        upto = self.cipher.open(case.summary).get("transcript_upto") if case.summary else None
        rows = (await session.scalars(
            select(TranscriptLine).where(TranscriptLine.pupil_id == case.pupil_id,
                                         TranscriptLine.id <= (upto or 0))
            .order_by(TranscriptLine.id.desc()).limit(TRANSCRIPT_LINES))).all()
        lines = [(row.author, self.cipher.decrypt(row.body).decode()) for row in reversed(rows)]
        chunks = notices.transcript_chunks(texts, case.id, lines) if lines else \
            [texts.c("transcript_empty", case=case.id)]
        for index, chunk in enumerate(chunks):
            self._to_thread(session, case, chunk, f"{key}:t{index}")
        self._audit(session, actor.ref, "view_transcript", case.id, f"lines={len(lines)}")

    async def _reply(self, session: AsyncSession, case: Case, actor: _Actor, text: str,
                     key: str) -> None:
        texts = self.texts
        if case.status == "pending" and not await self._claim(session, case, actor, key):
            return
        if case.status != "claimed":
            self._to_thread(session, case, texts.c("not_open", case=case.id), f"{key}:closed")
            return
        if case.counsellor_id != actor.ref:
            self._to_thread(session, case, texts.c("only_claimer", case=case.id,
                                                   name=case.counsellor_name), f"{key}:other")
            self._audit(session, actor.ref, "reply_refused", case.id)
            return
        pupil = await session.get(Pupil, case.pupil_id)
        if pupil is None:
            return
        body = notices.clip(text.strip(), MAX_RELAY)
        relay = Message(texts.p("relay", name=case.counsellor_name, role=texts.role(actor.role),
                                text=body))
        self._to_pupil(session, pupil, [relay], f"{key}:relay", author="counsellor")
        self._audit(session, actor.ref, "reply", case.id)

    # --- pupil leaves ------------------------------------------------------------------------

    async def _pupil_leaves(self, session: AsyncSession, case: Case) -> str:
        """The pupil ends the talk (claimed) or withdraws the request (pending)."""
        texts = self.texts
        key = f"case:{case.id}:left"
        if case.status == "claimed":
            case.status = "ended"
            self._to_thread(session, case, texts.c("pupil_ended", case=case.id), key,
                            notices.outcome_buttons(texts, case.id))
            self._audit(session, case.pupil_id, "end", case.id)
            log.info("case %s ended by the pupil", case.id)
            return FLOW_ENDED
        case.status, case.closed_at = "cancelled", self.clock()
        self._to_thread(session, case, texts.c("pupil_cancelled", case=case.id), key)
        self._audit(session, case.pupil_id, "cancel", case.id)
        log.info("case %s cancelled by the pupil", case.id)
        return FLOW_CANCELLED

    # --- building blocks -----------------------------------------------------------------------

    def _notify_case(self, session: AsyncSession, case: Case, lines: Sequence[tuple[str, str]],
                     previous: tuple[str, str | None, str] | None) -> None:
        texts = self.texts
        name = previous[1] if previous else None
        counsellor = self.routing.counsellors.get(previous[0].removeprefix("tg:")) \
            if previous else None
        mention = f"@{counsellor.username}" if counsellor and counsellor.username else ""
        text = notices.case_text(texts, case_id=case.id, kind=case.kind,
                                 urgent=case.priority == "urgent", network=case.network,
                                 consent=case.consent, created=_aware(case.created_at),
                                 lines=lines, previous=name, mention=mention)
        payload = notices.message(text, notices.case_buttons(texts, case.id, case.consent),
                                  case_id=case.id, chat=notices.chat_of(case.destination),
                                  opens_thread=True)
        enqueue(session, self.cipher, self._lane(case), payload, f"case:{case.id}:opened",
                URGENT if case.priority == "urgent" else NORMAL, case.pupil_id, case.id)

    def _email_case(self, session: AsyncSession, case: Case, destination: str) -> None:
        texts = self.texts
        values = {"case": case.id, "kind": texts.kinds.get(case.kind, case.kind),
                  "network": texts.network(case.network),
                  "created": notices.local_time(_aware(case.created_at))}
        urgent = case.priority == "urgent"
        domain = (self.routing.smtp.sender.rpartition("@")[2] if self.routing.smtp
                  else "wegwijs.invalid")
        payload = {"kind": "email",
                   "subject": texts.c("email_subject_urgent" if urgent else "email_subject",
                                      **values),
                   "body": texts.c("email_body", **values),
                   "message_id": f"<wegwijs-case-{case.id}-{uuid.uuid4().hex[:8]}@{domain}>"}
        enqueue(session, self.cipher, destination, payload,
                f"case:{case.id}:{destination}", URGENT if urgent else NORMAL,
                case.pupil_id, case.id)

    def _remind(self, session: AsyncSession, case: Case, now: datetime, first: bool,
                start: datetime) -> None:
        texts = self.texts
        minutes = int((now - start).total_seconds() // 60)
        bucket = int(now.timestamp() // max(self.routing.reminder_every.total_seconds(), 1))
        if case.destination:
            self._to_thread(session, case, texts.c("reminder", case=case.id, minutes=minutes),
                            f"case:{case.id}:remind:{bucket}")
        if first:
            enqueue(session, self.cipher, f"pupil:{case.pupil_id}",
                    {"kind": "message", **Message(texts.p("delayed_now")).to_json()},
                    f"case:{case.id}:delayed:p0", NORMAL, case.pupil_id)
            enqueue(session, self.cipher, f"pupil:{case.pupil_id}",
                    {"kind": "message", **Message(texts.p("meanwhile")).to_json()},
                    f"case:{case.id}:delayed:p1", NORMAL, case.pupil_id)
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
        first = (Message(texts.p("waiting_closed", network=name, when=texts.when(opens, now)))
                 if opens else Message(texts.p("delayed_now")))
        return (first, Message(texts.p("meanwhile"), cancel))

    def _to_thread(self, session: AsyncSession, case: Case, text: str, key: str,
                   buttons: Sequence[Button] = ()) -> None:
        """A message in the case's thread in the counsellor chat."""
        if not case.destination:
            return
        payload = notices.message(text, buttons, case_id=case.id,
                                  chat=notices.chat_of(case.destination),
                                  reply_to=_message_ref(case.thread_ref))
        enqueue(session, self.cipher, self._lane(case), payload, key,
                URGENT if case.priority == "urgent" else NORMAL, case.pupil_id, case.id)

    def _to_chat(self, session: AsyncSession, case: Case, chat: str, text: str,
                 key: str) -> None:
        """A short answer in a counsellor chat (e.g. a refusal), not part of the thread."""
        same = notices.chat_of(case.destination) == chat
        payload = notices.message(text, reply_to=_message_ref(case.thread_ref) if same else None)
        enqueue(session, self.cipher, f"tg:{chat}", payload, key, NORMAL, None, None)

    def _to_pupil(self, session: AsyncSession, pupil: Pupil, messages: Sequence[Message],
                  key: str, author: str = "bot") -> None:
        for index, message in enumerate(messages):
            session.add(TranscriptLine(pupil_id=pupil.id, author=author,
                                       body=self.cipher.encrypt(message.text.encode())))
            if pupil.channel in self.pupil_channels:
                enqueue(session, self.cipher, f"pupil:{pupil.id}",
                        {"kind": "message", **message.to_json()}, f"{key}:{index}", NORMAL,
                        pupil.id)

    def _run_flow(self, pupil: Pupil, flow: str) -> tuple[Message, ...]:
        """Start a flow for the pupil (like the conversation service does) and save the state."""
        outcome = engine.step(self.content, self._state(pupil), FlowTriggered(flow))
        self._save(pupil, outcome.state)
        return outcome.messages

    def _state(self, pupil: Pupil) -> State:
        return State.from_json(self.cipher.open(pupil.state)) if pupil.state else State()

    def _save(self, pupil: Pupil, state: State) -> None:
        pupil.state = self.cipher.seal(state.to_json())
        pupil.updated_at = utcnow()

    def _lane(self, case: Case) -> str:
        return notices.lane(case.destination or "", case.priority == "urgent")

    def _actor(self, inbound: CounsellorInbound) -> _Actor:
        known = self.routing.counsellors.get(str(inbound.user_id))
        if known is not None:
            return _Actor(f"tg:{inbound.user_id}", known.first_name, known.role)
        words = (inbound.user_name or "").split()
        name = words[0][:40] if words else self.texts.role(None)
        return _Actor(f"tg:{inbound.user_id}", name, "default")

    def _reserved(self, case: Case, actor: _Actor) -> tuple[str, int] | None:
        """(name, minutes left) while a former counsellor has the first right to claim."""
        if case.priority == "urgent" or not case.summary:
            return None
        previous = self.cipher.open(case.summary).get("previous")
        if not previous or previous == actor.ref:
            return None
        left = _aware(case.created_at) + self.routing.continuity - self.clock()
        if left.total_seconds() <= 0:
            return None
        name = self.routing.counsellors.get(previous.removeprefix("tg:"))
        return (name.first_name if name else self.texts.role(None),
                max(1, int(left.total_seconds() // 60)))

    async def _open_case_of(self, session: AsyncSession, pupil_id: str) -> Case | None:
        return (await session.scalars(
            select(Case).where(Case.pupil_id == pupil_id, Case.status.in_(OPEN_STATUSES))
            .order_by(Case.id.desc()).limit(1))).first()

    async def _previous_counsellor(self, session: AsyncSession, pupil_id: str
                                   ) -> tuple[str, str | None, str] | None:
        """(counsellor ref, first name, chat destination) of the pupil's former counsellor."""
        pupil = await session.get(Pupil, pupil_id)
        if pupil is None or not pupil.counsellor_id:
            return None
        last = (await session.scalars(
            select(Case).where(Case.pupil_id == pupil_id,
                               Case.counsellor_id == pupil.counsellor_id)
            .order_by(Case.id.desc()).limit(1))).first()
        chat = notices.chat_of(last.destination) if last else None
        if last is None or chat is None or chat not in self.routing.chats():
            return None
        return pupil.counsellor_id, last.counsellor_name, f"tg:{chat}"

    def _audit(self, session: AsyncSession, actor: str, action: str, case_id: int | None,
               detail: str | None = None) -> None:
        session.add(AuditEntry(actor=actor[:64], action=action[:32], case_id=case_id,
                               detail=detail[:200] if detail else None, at=self.clock()))

    def _store(self) -> Store:
        if self.store is None:
            raise HandoffError("the handoff service was built without a store")
        return self.store


class CaseThreadSender:
    """Wraps the Telegram sender for counsellor chats: replies land in the case's thread.

    The case message's id is known only once it is sent; later messages of the case wait
    (RetryLater) until then. Handoff metadata is stripped before the Telegram sender sees it.
    """

    def __init__(self, inner: Sender, store: Store) -> None:
        self.inner = inner
        self.store = store

    async def send(self, destination: str, payload: Mapping[str, Any]
                   ) -> Mapping[str, Any] | None:
        """Send through the Telegram sender, to the chat, as a reply in the case thread."""
        out = {k: payload[k] for k in TELEGRAM_KEYS if k in payload}
        case_id = payload.get("case_id")
        if case_id is not None and not payload.get("opens_thread") and not out.get("reply_to"):
            thread = await self._thread(int(case_id))
            if thread is not None:
                out["reply_to"] = thread
        return await self.inner.send(destination.removesuffix(notices.URGENT_LANE), out)

    async def _thread(self, case_id: int) -> int | str | None:
        async with self.store.transaction() as session:
            case = await session.get(Case, case_id)
            if case is None:
                return None
            if case.thread_ref:
                return _message_ref(case.thread_ref)
            waiting = await session.scalar(select(OutboxEntry.id).where(
                OutboxEntry.dedupe_key == f"case:{case_id}:opened",
                OutboxEntry.status == "pending"))
        if waiting is not None:
            raise RetryLater("the case message is not sent yet", 1.0)
        return None


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


def _message_ref(ref: str | None) -> int | str | None:
    """A stored message id as the Telegram sender wants it (an int when it is one)."""
    if ref is None:
        return None
    return int(ref) if ref.lstrip("-").isdigit() else ref


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
