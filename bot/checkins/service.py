"""Check-ins in the database: plan, deliver through the outbox, show at a visit, stop, erase.

A check-in on a channel with an outbox (Telegram) is an outbox entry whose `next_attempt_at`
is its due time, for the destination `checkin:<pupil>`: the outbox's leases deliver it once
under restarts and several replicas, and it never holds back the pupil's other replies. On a
channel without one (the web chat) it waits in the table and is shown at the pupil's next
visit after its due time, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.actions import (
    OPEN_FLOW,
    STOP_FLOW,
    CheckinAnswered,
    PlanCheckin,
    StopCheckins,
)
from bot.checkins.dates import step_date
from bot.delivery import events
from bot.delivery.outbox import NORMAL, enqueue
from bot.delivery.quiet_hours import LOCAL, QuietHours, due_at
from bot.flows.actions import Button, Effect, Message
from bot.flows.model import Content
from bot.infra.crypto import Cipher
from bot.infra.sql import OutboxEntry, Pupil, utcnow
from bot.infra.tracking import Checkin

log = logging.getLogger(__name__)

DESTINATION = "checkin"
# a planned check-in and those sent count against the limit; stopped ones do not
COUNTED = ("planned", "sent", "answered")


@dataclass
class Checkins:
    """Plans, delivers and stops the check-ins pupils asked for."""

    content: Content
    cipher: Cipher
    quiet: QuietHours = field(default_factory=QuietHours)
    limit: int = 3
    outboxed_channels: frozenset[str] = frozenset({"telegram"})
    clock: Callable[[], datetime] = utcnow

    def handles(self, effect: Effect) -> bool:
        """Whether this is a check-in effect."""
        return isinstance(effect, PlanCheckin | StopCheckins | CheckinAnswered)

    async def apply(
        self, session: AsyncSession, pupil_id: str, channel: str, network: str | None,
        effect: Effect,
    ) -> list[Message]:
        """Carry out a check-in effect; returns what to tell the pupil about it."""
        if isinstance(effect, PlanCheckin):
            return await self.plan(session, pupil_id, channel, network, effect)
        if isinstance(effect, StopCheckins):
            if await self.stop(session, pupil_id):
                events.record(session, "checkin_stopped", network, when=self.clock())
            return []
        if isinstance(effect, CheckinAnswered):
            await self.answered(session, pupil_id, network, effect.how)
        return []

    async def plan(
        self, session: AsyncSession, pupil_id: str, channel: str, network: str | None,
        effect: PlanCheckin,
    ) -> list[Message]:
        """Plan one check-in, unless one is planned already or the limit is reached."""
        rows = (
            await session.scalars(
                select(Checkin.status).where(
                    Checkin.pupil_id == pupil_id, Checkin.status.in_(COUNTED)
                )
            )
        ).all()
        if "planned" in rows:
            return [Message(self.content.text("checkin_already"))]
        if len(rows) >= self.limit:
            return [Message(self.content.text("checkin_limit"))]
        now = self.clock()
        days, today = effect.days, now.astimezone(LOCAL).date()
        step = step_date(effect.step_when, today) if effect.step_when else None
        if step is not None:  # the day after the step, at the hour the pupil said yes
            days = (step - today).days + 1
        due = due_at(now, days, self.quiet)
        checkin = Checkin(
            pupil_id=pupil_id, channel=channel, about=effect.about, status="planned",
            due_at=due, created_at=now,
        )
        session.add(checkin)
        await session.flush()
        if channel in self.outboxed_channels:
            entry = enqueue(
                session, self.cipher, f"{DESTINATION}:{pupil_id}", self.message(checkin.id),
                f"checkin:{checkin.id}", NORMAL, pupil_id,
            )
            entry.next_attempt_at = due
            await session.flush()
            checkin.outbox_id = entry.id
        detail = "step" if effect.step_when is not None else str(days)
        events.record(session, "checkin_planned", network, detail, when=now)
        log.info("pupil %s check-in %s planned in %s days", pupil_id, checkin.id, days)
        return [Message(self.content.text("checkin_planned"))]

    def message(self, checkin_id: int) -> dict[str, Any]:
        """The check-in as an outbox payload: a question with two buttons."""
        text = self.content.text
        return {
            "kind": "message",
            "text": text("checkin_hello"),
            "buttons": [
                {"title": text("checkin_open_button"), "payload": f"!flow:{OPEN_FLOW}"},
                {"title": text("checkin_stop_button"), "payload": f"!flow:{STOP_FLOW}"},
            ],
            "checkin": checkin_id,
        }

    async def stop(self, session: AsyncSession, pupil_id: str) -> int:
        """Cancel the pupil's planned check-ins (and their outbox entries); returns how many."""
        planned = (
            await session.scalars(
                select(Checkin).where(Checkin.pupil_id == pupil_id, Checkin.status == "planned")
            )
        ).all()
        outbox_ids = [c.outbox_id for c in planned if c.outbox_id is not None]
        if outbox_ids:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(outbox_ids), OutboxEntry.status == "pending")
                .values(status="cancelled", payload=b"")
                .execution_options(synchronize_session=False)
            )
        for checkin in planned:
            checkin.status = "stopped"
        if planned:
            log.info("pupil %s stopped %d check-in(s)", pupil_id, len(planned))
        return len(planned)

    async def answered(
        self, session: AsyncSession, pupil_id: str, network: str | None, how: str
    ) -> None:
        """Mark the last check-in sent to the pupil as answered (once)."""
        last = (
            await session.scalars(
                select(Checkin)
                .where(Checkin.pupil_id == pupil_id, Checkin.status == "sent")
                .order_by(Checkin.id.desc())
                .limit(1)
            )
        ).first()
        if last is None:
            return
        last.status = "answered"
        events.record(session, "checkin_answered", network, how, when=self.clock())

    async def visit(self, session: AsyncSession, pupil_id: str, channel: str) -> list[Message]:
        """On a channel without an outbox: the due check-ins, shown now and marked sent."""
        if channel in self.outboxed_channels:
            return []
        now = self.clock()
        due = (
            await session.scalars(
                select(Checkin).where(
                    Checkin.pupil_id == pupil_id,
                    Checkin.status == "planned",
                    Checkin.outbox_id.is_(None),
                    Checkin.due_at <= now,
                ).order_by(Checkin.id)
            )
        ).all()
        if not due:
            return []
        network = await session.scalar(select(Pupil.network).where(Pupil.id == pupil_id))
        for checkin in due:
            checkin.status, checkin.sent_at = "sent", now
            events.record(session, "checkin_sent", network, checkin.about, when=now)
        payload = self.message(due[-1].id)  # several due at once: one message says it
        return [_message(payload)]

    async def on_sent(
        self, session: AsyncSession, payload: Mapping[str, Any], _result: Mapping[str, Any]
    ) -> None:
        """Outbox hook, in the transaction that marks the entry sent: the check-in is sent."""
        checkin_id = payload.get("checkin")
        if not isinstance(checkin_id, int):
            return
        checkin = await session.get(Checkin, checkin_id)
        if checkin is None or checkin.status != "planned":
            return
        checkin.status, checkin.sent_at = "sent", utcnow()
        network = await session.scalar(select(Pupil.network).where(Pupil.id == checkin.pupil_id))
        events.record(session, "checkin_sent", network, checkin.about)

    async def count(self, session: AsyncSession, pupil_id: str, status: str) -> int:
        """How many of the pupil's check-ins have this status."""
        found = await session.scalar(
            select(func.count()).where(Checkin.pupil_id == pupil_id, Checkin.status == status)
        )
        return int(found or 0)


def _message(payload: Mapping[str, Any]) -> Message:
    return Message(
        str(payload["text"]),
        tuple(Button(str(b["title"]), str(b["payload"])) for b in payload["buttons"]),
    )
