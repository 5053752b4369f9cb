"""Handoff to a human counsellor: cases, notifications, alerts, relay, erasure."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.adapters.sql import Case, OutboxEntry, utcnow
from bot.content.model import Content
from bot.core.actions import Message
from bot.core.crypto import Cipher
from bot.core.state import State
from bot.services.outbox import NORMAL, URGENT, enqueue

log = logging.getLogger(__name__)

OPEN_STATUSES = ("pending", "claimed")


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


@dataclass(frozen=True)
class Routing:
    """Where counsellor notifications go: per network, with a default."""

    default: str | None
    per_network: dict[str, str]

    def destination(self, network: str | None) -> str | None:
        """The counsellor destination for a network (e.g. 'tg:-100123'), or the default."""
        chat = self.per_network.get(network or "") or self.default
        return f"tg:{chat}" if chat else None


class HandoffService:
    """Opens and tracks cases; everything it sends goes through the outbox."""

    def __init__(self, content: Content, cipher: Cipher, routing: Routing) -> None:
        self.content = content
        self.cipher = cipher
        self.routing = routing

    def is_counsellor_chat(self, chat_id: str) -> bool:
        """True when this chat is a configured counsellor destination."""
        return chat_id in {self.routing.default, *self.routing.per_network.values()}

    async def handle_counsellor(self, inbound: CounsellorInbound) -> None:
        """Claim, reply, close: written by the handoff engineer."""
        log.info("counsellor update in chat ignored for now")

    async def active_case(self, session: AsyncSession, pupil_id: str) -> Case | None:
        """The pupil's claimed case (a counsellor is talking with them), if any."""
        return (await session.scalars(
            select(Case).where(Case.pupil_id == pupil_id, Case.status == "claimed")
            .order_by(Case.id.desc()).limit(1))).first()

    async def open_case(self, session: AsyncSession, pupil_id: str, state: State, kind: str,
                        priority: str) -> tuple[Message, ...]:
        """Open (or reuse) a case and notify the counsellors."""
        existing = (await session.scalars(
            select(Case).where(Case.pupil_id == pupil_id, Case.status.in_(OPEN_STATUSES))
            .limit(1))).first()
        if existing is not None:
            return ()
        network = state.slots.get("network")
        consent = str(state.slots.get("share_consent") or "none")
        case = Case(pupil_id=pupil_id, kind=kind, priority=priority, network=network,
                    status="pending", consent=consent,
                    summary=self.cipher.seal(self._summary(state, consent)),
                    destination=self.routing.destination(network))
        session.add(case)
        await session.flush()
        if case.destination:
            enqueue(session, self.cipher, case.destination,
                    {"kind": "case_opened", "case_id": case.id, "case_kind": kind,
                     "priority": priority, "network": network,
                     "summary": self._summary(state, consent)},
                    f"case:{case.id}:opened", URGENT if priority == "urgent" else NORMAL,
                    pupil_id, case.id)
        log.info("case %s opened kind=%s priority=%s", case.id, kind, priority)
        return ()

    async def raise_alert(self, session: AsyncSession, pupil_id: str, state: State,
                          category: str, rule: str | None, key: str) -> None:
        """Persist a priority alert for counsellors: category, network, time; no pupil text."""
        network = state.slots.get("network")
        destination = self.routing.destination(network)
        log.warning("safety alert category=%s rule=%s pupil=%s", category, rule, pupil_id)
        if destination is None:
            return
        enqueue(session, self.cipher, destination,
                {"kind": "safety_alert", "category": category, "network": network,
                 "at": utcnow().isoformat(timespec="seconds")},
                f"alert:{key}", URGENT, pupil_id)

    async def relay_to_counsellor(self, session: AsyncSession, case: Case, text: str,
                                  key: str) -> None:
        """Copy a pupil message to the counsellor who claimed the case."""
        if case.destination:
            enqueue(session, self.cipher, case.destination,
                    {"kind": "relay_to_counsellor", "case_id": case.id, "text": text,
                     "thread": case.thread_ref}, f"relay:{key}", NORMAL, case.pupil_id, case.id)

    async def erase(self, session: AsyncSession, pupil_id: str) -> None:
        """Erase the pupil's cases and pending messages; tell the counsellor side."""
        cases = (await session.scalars(select(Case).where(Case.pupil_id == pupil_id))).all()
        await session.execute(delete(OutboxEntry).where(OutboxEntry.pupil_id == pupil_id))
        for case in cases:
            if case.destination and case.status in OPEN_STATUSES:
                enqueue(session, self.cipher, case.destination,
                        {"kind": "case_erased", "case_id": case.id, "thread": case.thread_ref},
                        f"case:{case.id}:erased", NORMAL, None, None)
            await session.delete(case)

    def _summary(self, state: State, consent: str) -> dict[str, Any]:
        """What the counsellor may see: nothing private without consent."""
        if consent == "none":
            return {}
        private = {name for name, spec in self.content.slots.items() if spec.private}
        slots = {k: v for k, v in state.slots.items()
                 if consent == "full" or k not in private}
        return {"slots": slots}
