"""Building blocks of the handoff: messages to a case thread, to the pupil, the audit log,
and the Sender that puts counsellor messages in their case thread."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import NORMAL, URGENT, Sender, enqueue
from bot.errors import DeliveryRejected, RetryLater, WegwijsError
from bot.flows import engine
from bot.flows.actions import Button, Message
from bot.flows.events import FlowTriggered
from bot.flows.model import Content
from bot.flows.state import State
from bot.handoff import notices
from bot.handoff.counsellor import CounsellorTexts
from bot.handoff.routing import Routing
from bot.handoff.tables import CaseMessage
from bot.infra.crypto import Cipher
from bot.infra.sql import (
    AuditEntry,
    Case,
    OutboxEntry,
    Pupil,
    Store,
    TranscriptLine,
    utcnow,
)

log = logging.getLogger(__name__)

OPEN_STATUSES = ("pending", "claimed")
CLOSABLE = ("pending", "claimed", "ended")
PUPIL_CANCEL = "!handoff:cancel"
PUPIL_END = "!handoff:end"
TELEGRAM_KEYS = ("kind", "text", "buttons", "thread", "reply_to")
MAX_RELAY = 3500
TRANSCRIPT_LINES = 300


class HandoffError(WegwijsError):
    """The handoff service cannot work (e.g. content/counsellor.yml was not loaded)."""


@dataclass
class HandoffContext:
    """What the parts of the handoff share: content, keys, routing, store, clock, wake-up.

    One object, shared by reference: replacing `content` (a reload) or `clock` (tests) here
    reaches every part at once.
    """

    content: Content
    cipher: Cipher
    routing: Routing
    store: Store | None = None
    pupil_channels: frozenset[str] = frozenset({"telegram"})
    clock: Callable[[], datetime] = utcnow
    on_commit: Callable[[], None] = field(default=lambda: None)

    @property
    def texts(self) -> CounsellorTexts:
        """The handoff texts from content/counsellor.yml."""
        texts = self.content.counsellor
        if not isinstance(texts, CounsellorTexts):
            raise HandoffError("content/counsellor.yml is not loaded")
        return texts

    def require_store(self) -> Store:
        """The store; the handoff cannot work on cases without one."""
        if self.store is None:
            raise HandoffError("the handoff service was built without a store")
        return self.store


class PupilStates:
    """The pupil's conversation state as the handoff reads, changes and continues it."""

    def __init__(self, context: HandoffContext) -> None:
        self.context = context

    def load(self, pupil: Pupil) -> State:
        """The pupil's saved state (a fresh one when there is none)."""
        cipher = self.context.cipher
        return State.from_json(cipher.open(pupil.state)) if pupil.state else State()

    def save(self, pupil: Pupil, state: State) -> None:
        """Seal and store the pupil's state."""
        pupil.state = self.context.cipher.seal(state.to_json())
        pupil.updated_at = utcnow()

    def run_flow(self, pupil: Pupil, flow: str) -> tuple[Message, ...]:
        """Start a flow for the pupil (like the conversation service does) and save the state."""
        outcome = engine.step(self.context.content, self.load(pupil), FlowTriggered(flow))
        self.save(pupil, outcome.state)
        return outcome.messages


class CaseOutbox:
    """Everything the handoff sends about a case, through the outbox, and its audit log."""

    def __init__(self, context: HandoffContext) -> None:
        self.context = context

    async def open_case_of(self, session: AsyncSession, pupil_id: str) -> Case | None:
        """The pupil's pending or claimed case, if any."""
        return (
            await session.scalars(
                select(Case)
                .where(Case.pupil_id == pupil_id, Case.status.in_(OPEN_STATUSES))
                .order_by(Case.id.desc())
                .limit(1)
            )
        ).first()

    def notify_case(
        self,
        session: AsyncSession,
        case: Case,
        lines: Sequence[tuple[str, str]],
        previous: tuple[str, str | None, str] | None,
        key: str | None = None,
    ) -> None:
        """The message that opens the case's thread in the counsellor chat (`key`: its dedupe
        key when the case is announced again, e.g. after a transfer to another network)."""
        texts = self.context.texts
        name = previous[1] if previous else None
        counsellor = (
            self.context.routing.counsellors.get(previous[0].removeprefix("tg:"))
            if previous
            else None
        )
        mention = f"@{counsellor.username}" if counsellor and counsellor.username else ""
        text = notices.case_text(
            texts,
            case_id=case.id,
            kind=case.kind,
            urgent=case.priority == "urgent",
            network=case.network,
            consent=case.consent,
            created=aware(case.created_at),
            lines=lines,
            previous=name,
            mention=mention,
        )
        payload = notices.message(
            text,
            notices.case_buttons(texts, case.id, case.consent),
            case_id=case.id,
            chat=notices.chat_of(case.destination),
            opens_thread=True,
        )
        enqueue(
            session,
            self.context.cipher,
            self.lane(case),
            payload,
            key or f"case:{case.id}:opened",
            URGENT if case.priority == "urgent" else NORMAL,
            case.pupil_id,
            case.id,
        )

    def email_case(self, session: AsyncSession, case: Case, destination: str) -> None:
        """An e-mail about the case (never the pupil's words) to one address."""
        texts = self.context.texts
        smtp = self.context.routing.smtp
        values = {
            "case": case.id,
            "kind": texts.kinds.get(case.kind, case.kind),
            "network": texts.network(case.network),
            "created": notices.local_time(aware(case.created_at)),
        }
        urgent = case.priority == "urgent"
        domain = smtp.sender.rpartition("@")[2] if smtp else "wegwijs.invalid"
        payload = {
            "kind": "email",
            "subject": texts.c("email_subject_urgent" if urgent else "email_subject", **values),
            "body": texts.c("email_body", **values),
            "message_id": f"<wegwijs-case-{case.id}-{uuid.uuid4().hex[:8]}@{domain}>",
        }
        enqueue(
            session,
            self.context.cipher,
            destination,
            payload,
            f"case:{case.id}:{destination}",
            URGENT if urgent else NORMAL,
            case.pupil_id,
            case.id,
        )

    def to_thread(
        self, session: AsyncSession, case: Case, text: str, key: str, buttons: Sequence[Button] = ()
    ) -> None:
        """A message in the case's thread in the counsellor chat."""
        if not case.destination:
            return
        payload = notices.message(
            text,
            buttons,
            case_id=case.id,
            chat=notices.chat_of(case.destination),
            reply_to=message_ref(case.thread_ref),
        )
        enqueue(
            session,
            self.context.cipher,
            self.lane(case),
            payload,
            key,
            URGENT if case.priority == "urgent" else NORMAL,
            case.pupil_id,
            case.id,
        )

    def to_chat(self, session: AsyncSession, case: Case, chat: str, text: str, key: str) -> None:
        """A short answer in a counsellor chat (e.g. a refusal), not part of the thread."""
        same = notices.chat_of(case.destination) == chat
        payload = notices.message(text, reply_to=message_ref(case.thread_ref) if same else None)
        enqueue(session, self.context.cipher, f"tg:{chat}", payload, key, NORMAL, None, None)

    def to_pupil(
        self,
        session: AsyncSession,
        pupil: Pupil,
        messages: Sequence[Message],
        key: str,
        author: str = "bot",
    ) -> None:
        """Messages to the pupil: in their transcript, and sent on a channel that can push."""
        cipher = self.context.cipher
        for index, message in enumerate(messages):
            session.add(
                TranscriptLine(
                    pupil_id=pupil.id,
                    author=author,
                    body=cipher.encrypt(message.text.encode()),
                )
            )
            if pupil.channel in self.context.pupil_channels:
                enqueue(
                    session,
                    cipher,
                    f"pupil:{pupil.id}",
                    {"kind": "message", **message.to_json()},
                    f"{key}:{index}",
                    NORMAL,
                    pupil.id,
                )

    def lane(self, case: Case) -> str:
        """The outbox destination of the case's counsellor chat (urgent cases jump the queue)."""
        return notices.lane(case.destination or "", case.priority == "urgent")

    def audit(
        self,
        session: AsyncSession,
        actor: str,
        action: str,
        case_id: int | None,
        detail: str | None = None,
    ) -> None:
        """A line in the audit log."""
        session.add(
            AuditEntry(
                actor=actor[:64],
                action=action[:32],
                case_id=case_id,
                detail=detail[:200] if detail else None,
                at=self.context.clock(),
            )
        )

    async def record_sent(
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


class CaseThreadSender:
    """Wraps the Telegram sender for counsellor chats: replies land in the case's thread.

    The case message's id is known only once it is sent; later messages of the case wait
    (RetryLater) until then. Handoff metadata is stripped before the Telegram sender sees it.
    A refusal by a counsellor chat is retried (with backoff) instead of dropping the message.
    """

    def __init__(self, inner: Sender, store: Store) -> None:
        self.inner = inner
        self.store = store

    async def send(self, destination: str, payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Send through the Telegram sender, to the chat, as a reply in the case thread."""
        out = {k: payload[k] for k in TELEGRAM_KEYS if k in payload}
        case_id = payload.get("case_id")
        if case_id is not None and not payload.get("opens_thread") and not out.get("reply_to"):
            thread = await self._thread(int(case_id))
            if thread is not None:
                out["reply_to"] = thread
        try:
            return await self.inner.send(destination.removesuffix(notices.URGENT_LANE), out)
        except DeliveryRejected as exc:
            # A counsellor chat that refuses (bot removed, chat migrated) is fixed by people;
            # keep the message and retry with backoff rather than lose a pupil's request.
            log.error("counsellor chat refused a message: %s", exc)
            raise RetryLater(f"counsellor chat refused: {exc}") from exc

    async def _thread(self, case_id: int) -> int | str | None:
        async with self.store.transaction() as session:
            case = await session.get(Case, case_id)
            if case is None:
                return None
            if case.thread_ref:
                return message_ref(case.thread_ref)
            waiting = await session.scalar(
                select(OutboxEntry.id).where(
                    OutboxEntry.dedupe_key == f"case:{case_id}:opened",
                    OutboxEntry.status == "pending",
                )
            )
        if waiting is not None:
            raise RetryLater("the case message is not sent yet", 1.0)
        return None


def message_ref(ref: str | None) -> int | str | None:
    """A stored message id as the Telegram sender wants it (an int when it is one)."""
    if ref is None:
        return None
    return int(ref) if ref.lstrip("-").isdigit() else ref


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
