"""What counsellors can do with a case from their chat: claim, reply, show, close."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import events
from bot.delivery.events import minutes_between
from bot.flows.actions import Button, Message
from bot.handoff import notices
from bot.handoff.cases import (
    CLOSABLE,
    MAX_RELAY,
    PUPIL_END,
    TRANSCRIPT_LINES,
    CaseOutbox,
    HandoffContext,
    PupilStates,
    aware,
)
from bot.handoff.flows import FLOW_FEEDBACK
from bot.handoff.tables import CaseMessage
from bot.infra.sql import (
    Case,
    ProcessedUpdate,
    Pupil,
    TranscriptLine,
)

log = logging.getLogger(__name__)


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
class DeskActor:
    """A counsellor acting from the web desk: audit id, first name, role key for the pupil."""

    ref: str
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class _Actor:
    """A counsellor as the service sees them: audit id, first name and role key."""

    ref: str
    name: str
    role: str


class CounsellorDesk:
    """The counsellor side of the handoff: claim, reply, show the conversation, close."""

    def __init__(self, context: HandoffContext, outbox: CaseOutbox, states: PupilStates) -> None:
        self.context = context
        self.outbox = outbox
        self.states = states

    def is_counsellor_chat(self, chat_id: str) -> bool:
        """True when this chat is a configured counsellor destination."""
        return str(chat_id) in self.context.routing.chats()

    async def handle(self, inbound: CounsellorInbound) -> None:
        """Claim, reply, show the conversation, close: from a counsellor chat, via the outbox."""
        store = self.context.require_store()
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
        self.context.on_commit()

    async def act_for(
        self, case_id: int, actor: DeskActor, action: str, argument: str | None = None
    ) -> None:
        """Claim, reply (argument: the text) or close (argument: the outcome) for a counsellor
        who is not in a counsellor chat (the web desk checks who may act before calling)."""
        pupil_id = await self._pupil_of(case_id)
        if pupil_id is None:
            return
        key = f"d:{uuid.uuid4().hex}"
        async with self.context.require_store().pupil_transaction(pupil_id) as session:
            case = await session.get(Case, case_id)
            if case is None:
                return
            who = _Actor(actor.ref, actor.name, actor.role)
            if action == "claim":
                await self._claim(session, case, who, key)
            elif action == "reply" and argument:
                await self._reply(session, case, who, argument, key)
            elif action == "close" and argument is not None:
                await self._close(session, case, who, argument, key)
        self.context.on_commit()

    async def _command(self, inbound: CounsellorInbound) -> tuple[int, str, str | None] | None:
        if inbound.callback_data:
            return notices.parse_callback(inbound.callback_data)
        text = (inbound.text or "").strip()
        if not text or text.startswith("/"):
            return None
        refs = [r for r in (inbound.reply_to_message_id, inbound.thread_id) if r]
        if not refs:
            return None  # counsellors talking among themselves
        async with self.context.require_store().transaction() as session:
            for ref in refs:
                case_id = await session.scalar(
                    select(CaseMessage.case_id)
                    .where(
                        CaseMessage.chat == str(inbound.chat_id), CaseMessage.message_id == str(ref)
                    )
                    .order_by(CaseMessage.id.desc())
                    .limit(1)
                )
                if case_id is not None:
                    return int(case_id), "reply", None
        return None

    async def _pupil_of(self, case_id: int) -> str | None:
        async with self.context.require_store().transaction() as session:
            found = await session.scalar(select(Case.pupil_id).where(Case.id == case_id))
        return str(found) if found is not None else None

    async def _act(
        self,
        session: AsyncSession,
        case: Case,
        inbound: CounsellorInbound,
        action: str,
        argument: str | None,
    ) -> None:
        actor = self._actor(inbound)
        key = f"c:{inbound.update_id or uuid.uuid4().hex}"
        if not self._may_act(inbound, case):
            self.outbox.audit(session, actor.ref, "refused", case.id, action)
            self.outbox.to_chat(
                session,
                case,
                str(inbound.chat_id),
                self.context.texts.c("not_allowed", case=case.id),
                f"{key}:refused",
            )
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
        return self.context.routing.allows(str(inbound.user_id)) and notices.chat_of(
            case.destination
        ) == str(inbound.chat_id)

    async def _claim(self, session: AsyncSession, case: Case, actor: _Actor, key: str) -> bool:
        texts = self.context.texts
        if case.status == "claimed" and case.counsellor_id == actor.ref:
            return True
        if case.status == "claimed":
            self.outbox.to_thread(
                session,
                case,
                texts.c("already_claimed", case=case.id, name=case.counsellor_name),
                f"{key}:taken",
            )
            return False
        if case.status != "pending":
            self.outbox.to_thread(session, case, texts.c("not_open", case=case.id), f"{key}:closed")
            return False
        reserved = self._reserved(case, actor)
        if reserved is not None:
            name, minutes = reserved
            self.outbox.to_thread(
                session,
                case,
                texts.c("reserved", case=case.id, name=name, minutes=minutes),
                f"{key}:reserved",
            )
            self.outbox.audit(session, actor.ref, "claim_reserved", case.id)
            return False
        case.status, case.counsellor_id, case.counsellor_name = "claimed", actor.ref, actor.name
        case.claimed_at = self.context.clock()
        events.record(session, "handoff_claimed", case.network, case.kind,
                      minutes_between(case.created_at, case.claimed_at), case.claimed_at)
        pupil = await session.get(Pupil, case.pupil_id)
        self.outbox.to_thread(
            session,
            case,
            texts.c("claimed", case=case.id, name=actor.name),
            f"{key}:claimed",
            notices.case_buttons(texts, case.id, case.consent, claim=False),
        )
        if pupil is not None:
            pupil.counsellor_id = actor.ref
            state = self.states.load(pupil)
            self.states.save(pupil, replace(state, stack=(), history=(), misses=0))
            hello = Message(
                texts.p("claimed", name=actor.name, role=texts.role(actor.role)),
                (Button(texts.p("end_button"), PUPIL_END),),
            )
            self.outbox.to_pupil(session, pupil, [hello], f"{key}:hello")
        self.outbox.audit(session, actor.ref, "claim", case.id)
        log.info("case %s claimed", case.id)
        return True

    async def _ask_outcome(
        self, session: AsyncSession, case: Case, actor: _Actor, key: str
    ) -> None:
        if case.status not in CLOSABLE:
            self.outbox.to_thread(
                session, case, self.context.texts.c("not_open", case=case.id), key
            )
            return
        self.outbox.to_thread(
            session,
            case,
            self.context.texts.c("choose_outcome", case=case.id),
            f"{key}:outcome",
            notices.outcome_buttons(self.context.texts, case.id),
        )
        self.outbox.audit(session, actor.ref, "close_asked", case.id)

    async def _close(
        self, session: AsyncSession, case: Case, actor: _Actor, outcome: str, key: str
    ) -> None:
        texts = self.context.texts
        if outcome not in texts.outcomes:
            return
        if case.status not in CLOSABLE:
            self.outbox.to_thread(session, case, texts.c("not_open", case=case.id), f"{key}:closed")
            return
        was = case.status
        case.status, case.outcome, case.closed_at = "closed", outcome, self.context.clock()
        events.record(session, "handoff_closed", case.network, outcome,
                      minutes_between(case.created_at, case.closed_at), case.closed_at)
        self.outbox.to_thread(
            session,
            case,
            texts.c("closed", case=case.id, name=actor.name, outcome=texts.outcomes[outcome]),
            f"{key}:done",
        )
        pupil = await session.get(Pupil, case.pupil_id)
        if pupil is not None and was == "claimed":
            goodbye = Message(texts.p("closed", name=case.counsellor_name))
            self.outbox.to_pupil(
                session, pupil, [goodbye, *self.states.run_flow(pupil, FLOW_FEEDBACK)], f"{key}:bye"
            )
        elif pupil is not None and was == "pending":
            state = self.states.load(pupil)
            self.states.save(pupil, state.with_slots(share_consent=None))
            self.outbox.to_pupil(
                session, pupil, [Message(texts.p("closed_unclaimed"))], f"{key}:bye"
            )
        self.outbox.audit(session, actor.ref, "close", case.id, f"outcome={outcome}")
        log.info("case %s closed outcome=%s", case.id, outcome)

    async def _transcript(self, session: AsyncSession, case: Case, actor: _Actor, key: str) -> None:
        texts = self.context.texts
        if case.consent != "full":
            self.outbox.to_thread(session, case, texts.c("transcript_none", case=case.id), key)
            self.outbox.audit(session, actor.ref, "transcript_refused", case.id)
            return
        # What was said up to the request: that is what the pupil agreed to share.
        upto = (
            self.context.cipher.open(case.summary).get("transcript_upto") if case.summary else None
        )
        rows = (
            await session.scalars(
                select(TranscriptLine)
                .where(TranscriptLine.pupil_id == case.pupil_id, TranscriptLine.id <= (upto or 0))
                .order_by(TranscriptLine.id.desc())
                .limit(TRANSCRIPT_LINES)
            )
        ).all()
        lines = [
            (row.author, self.context.cipher.decrypt(row.body).decode()) for row in reversed(rows)
        ]
        chunks = (
            notices.transcript_chunks(texts, case.id, lines)
            if lines
            else [texts.c("transcript_empty", case=case.id)]
        )
        for index, chunk in enumerate(chunks):
            self.outbox.to_thread(session, case, chunk, f"{key}:t{index}")
        self.outbox.audit(session, actor.ref, "view_transcript", case.id, f"lines={len(lines)}")

    async def _reply(
        self, session: AsyncSession, case: Case, actor: _Actor, text: str, key: str
    ) -> None:
        texts = self.context.texts
        if case.status == "pending" and not await self._claim(session, case, actor, key):
            return
        if case.status != "claimed":
            self.outbox.to_thread(session, case, texts.c("not_open", case=case.id), f"{key}:closed")
            return
        if case.counsellor_id != actor.ref:
            self.outbox.to_thread(
                session,
                case,
                texts.c("only_claimer", case=case.id, name=case.counsellor_name),
                f"{key}:other",
            )
            self.outbox.audit(session, actor.ref, "reply_refused", case.id)
            return
        pupil = await session.get(Pupil, case.pupil_id)
        if pupil is None:
            return
        body = notices.clip(text.strip(), MAX_RELAY)
        relay = Message(
            texts.p("relay", name=case.counsellor_name, role=texts.role(actor.role), text=body)
        )
        self.outbox.to_pupil(session, pupil, [relay], f"{key}:relay", author="counsellor")
        self.outbox.audit(session, actor.ref, "reply", case.id)

    def _actor(self, inbound: CounsellorInbound) -> _Actor:
        known = self.context.routing.counsellors.get(str(inbound.user_id))
        if known is not None:
            return _Actor(f"tg:{inbound.user_id}", known.first_name, known.role)
        words = (inbound.user_name or "").split()
        name = words[0][:40] if words else self.context.texts.role(None)
        return _Actor(f"tg:{inbound.user_id}", name, "default")

    def _reserved(self, case: Case, actor: _Actor) -> tuple[str, int] | None:
        """(name, minutes left) while a former counsellor has the first right to claim."""
        if case.priority == "urgent" or not case.summary:
            return None
        previous = self.context.cipher.open(case.summary).get("previous")
        if not previous or previous == actor.ref:
            return None
        left = aware(case.created_at) + self.context.routing.continuity - self.context.clock()
        if left.total_seconds() <= 0:
            return None
        name = self.context.routing.counsellors.get(previous.removeprefix("tg:"))
        return (
            name.first_name if name else self.context.texts.role(None),
            max(1, int(left.total_seconds() // 60)),
        )
