"""Reminders for cases nobody claimed in time: to the counsellor thread, once to the pupil."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import NORMAL, enqueue
from bot.flows.actions import Message
from bot.handoff.cases import CaseOutbox, HandoffContext, aware
from bot.infra.sql import Case

log = logging.getLogger(__name__)


class Reminders:
    """Finds unclaimed cases (in office hours) and reminds the counsellors of them."""

    def __init__(self, context: HandoffContext, outbox: CaseOutbox) -> None:
        self.context = context
        self.outbox = outbox

    async def remind(self, now: datetime | None = None) -> int:
        """Remind counsellors of cases nobody claimed in time (in office hours); tell the pupil
        once that it takes longer. Run it every minute or so. Returns how many were reminded."""
        now = now or self.context.clock()
        texts, routing = self.context.texts, self.context.routing
        reminded = 0
        try:
            async with self.context.require_store().transaction() as session:
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
            self.context.on_commit()
        return reminded

    async def run(self, stop: asyncio.Event, every: float = 60.0) -> None:
        """Call `remind` every `every` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                await self.remind()
            except Exception as exc:  # the loop must survive a database hiccup
                log.warning("reminder pass failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    def _remind(
        self, session: AsyncSession, case: Case, now: datetime, first: bool, start: datetime
    ) -> None:
        texts = self.context.texts
        minutes = int((now - start).total_seconds() // 60)
        bucket = int(now.timestamp() // max(self.context.routing.reminder_every.total_seconds(), 1))
        if case.destination:
            self.outbox.to_thread(
                session,
                case,
                texts.c("reminder", case=case.id, minutes=minutes),
                f"case:{case.id}:remind:{bucket}",
            )
        if first:
            enqueue(
                session,
                self.context.cipher,
                f"pupil:{case.pupil_id}",
                {"kind": "message", **Message(texts.p("delayed_now")).to_json()},
                f"case:{case.id}:delayed:p0",
                NORMAL,
                case.pupil_id,
            )
            enqueue(
                session,
                self.context.cipher,
                f"pupil:{case.pupil_id}",
                {"kind": "message", **Message(texts.p("meanwhile")).to_json()},
                f"case:{case.id}:delayed:p1",
                NORMAL,
                case.pupil_id,
            )
        case.reminded_at = now
        self.outbox.audit(session, "system", "remind", case.id, f"minutes={minutes}")
