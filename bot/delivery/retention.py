"""Retention: delete what Wegwijs no longer needs (default 90 days, WEGWIJS_RETENTION_DAYS).

- a pupil inactive for longer than `days`: the pupil row (state, address), transcript,
  processed updates, outbox entries, cases, web chat session and lines; with the handoff
  service given, exactly as `/vergeet` does it (the counsellor side is told an open case was
  erased);
- transcript lines and web chat lines older than `days`, also of pupils who are still active;
- cases closed more than `days` ago;
- delivered or failed outbox entries (delivered payloads are already emptied on delivery)
  after `SENT_KEEP`, processed update ids after `DEDUPE_KEEP`;
- audit entries are kept (they hold no pupil data): the controller sets their retention.

Every inactive pupil is deleted in its own pupil transaction, so a pupil who writes at that
very moment is either kept (the new message wins) or deleted before the message is handled.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.sql import (
    Case,
    OutboxEntry,
    ProcessedUpdate,
    Pupil,
    Store,
    TranscriptLine,
    WebMessage,
    WebSession,
    utcnow,
)
from bot.infra.tracking import Checkin, Event

log = logging.getLogger(__name__)


class CaseEraser(Protocol):
    """What retention needs of the handoff service: erase a pupil's cases (and say so)."""

    async def erase(self, session: AsyncSession, pupil_id: str) -> None:
        """Erase the pupil's cases within this transaction."""

SENT_KEEP = timedelta(days=1)
DEDUPE_KEEP = timedelta(days=2)
OPEN_STATUSES = ("pending", "claimed", "ended")
DAY = 24 * 3600.0
# The anonymous events behind the figures identify no one; they are kept five years, so a
# network can compare a school year with the ones before it (docs/privacy.md, "Figures").
EVENTS_KEEP = timedelta(days=5 * 365 + 1)


@dataclass
class PurgeReport:
    """How many rows of each kind a purge deleted."""

    pupils: int = 0
    transcript_lines: int = 0
    processed_updates: int = 0
    outbox_entries: int = 0
    cases: int = 0
    web_messages: int = 0

    @property
    def total(self) -> int:
        """All deleted rows."""
        return sum(int(getattr(self, f.name)) for f in fields(self))

    def __str__(self) -> str:
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


async def purge(
    store: Store, now: datetime | None = None, days: int = 90, handoff: CaseEraser | None = None
) -> PurgeReport:
    """Delete conversations of pupils inactive for `days`, old closed cases and sent messages."""
    if days < 1:
        raise ValueError("retention must be at least one day")
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    report = PurgeReport()
    async with store.transaction() as session:
        inactive = list(
            (await session.scalars(select(Pupil.id).where(Pupil.updated_at < cutoff))).all()
        )
    for pupil_id in inactive:
        async with store.pupil_transaction(pupil_id) as session:
            pupil = await session.get(Pupil, pupil_id)
            if pupil is None or _aware(pupil.updated_at) >= cutoff:
                continue
            await _delete_pupil(session, pupil, report, handoff)
    async with store.transaction() as session:
        report.transcript_lines += await _count(
            session, delete(TranscriptLine).where(TranscriptLine.created_at < cutoff)
        )
        report.web_messages += await _count(
            session, delete(WebMessage).where(WebMessage.created_at < cutoff)
        )
        # a session whose pupil never got as far as a first message
        await session.execute(delete(WebSession).where(WebSession.last_seen_at < cutoff))
        report.processed_updates += await _count(
            session,
            delete(ProcessedUpdate).where(
                ProcessedUpdate.created_at < now - min(DEDUPE_KEEP, timedelta(days=days))
            ),
        )
        old_cases = list(
            (
                await session.scalars(
                    select(Case.id).where(
                        Case.status.not_in(OPEN_STATUSES), Case.closed_at < cutoff
                    )
                )
            ).all()
        )
        if old_cases:
            report.outbox_entries += await _count(
                session, delete(OutboxEntry).where(OutboxEntry.case_id.in_(old_cases))
            )
            report.cases += await _count(session, delete(Case).where(Case.id.in_(old_cases)))
        report.outbox_entries += await _count(
            session,
            delete(OutboxEntry).where(
                OutboxEntry.status == "sent", OutboxEntry.sent_at < now - SENT_KEEP
            ),
        )
        report.outbox_entries += await _count(
            session,
            delete(OutboxEntry).where(
                OutboxEntry.status.in_(("failed", "cancelled")), OutboxEntry.created_at < cutoff
            ),
        )
        await session.execute(delete(Event).where(Event.day < (now - EVENTS_KEEP).date()))
    log.info("retention purge (%s days): %s", days, report)
    return report


async def _delete_pupil(
    session: AsyncSession, pupil: Pupil, report: PurgeReport, handoff: CaseEraser | None
) -> None:
    pupil_id = pupil.id
    cases = (await session.scalars(select(Case.id).where(Case.pupil_id == pupil_id))).all()
    report.cases += len(cases)
    report.outbox_entries += int(
        await session.scalar(select(func.count()).where(OutboxEntry.pupil_id == pupil_id)) or 0
    )
    if handoff is not None:  # also tells the counsellor side that open cases are gone
        await handoff.erase(session, pupil_id)
    else:
        await session.execute(delete(OutboxEntry).where(OutboxEntry.pupil_id == pupil_id))
        await session.execute(delete(Case).where(Case.pupil_id == pupil_id))
    lines, updates, web_lines = await delete_pupil_records(session, pupil_id)
    report.transcript_lines += lines
    report.processed_updates += updates
    report.web_messages += web_lines
    await session.delete(pupil)
    report.pupils += 1


async def delete_pupil_records(session: AsyncSession, pupil_id: str) -> tuple[int, int, int]:
    """Delete the pupil's own rows besides cases and outbox (/vergeet and the purge).

    The transcript, processed updates, the web chat's log and session, and the check-ins (their
    outbox entries are the caller's). Returns the transcript lines, processed updates and web
    log lines deleted.
    """
    lines = await _count(
        session, delete(TranscriptLine).where(TranscriptLine.pupil_id == pupil_id)
    )
    updates = await _count(
        session, delete(ProcessedUpdate).where(ProcessedUpdate.pupil_id == pupil_id)
    )
    web_lines = await _count(session, delete(WebMessage).where(WebMessage.pupil_id == pupil_id))
    await session.execute(delete(WebSession).where(WebSession.pupil_id == pupil_id))
    await session.execute(delete(Checkin).where(Checkin.pupil_id == pupil_id))
    return lines, updates, web_lines


async def _count(session: AsyncSession, statement: object) -> int:
    result = await session.execute(statement)  # type: ignore[call-overload]
    return int(getattr(result, "rowcount", 0) or 0)


async def run_daily(
    store: Store,
    days: int,
    stop: asyncio.Event,
    handoff: CaseEraser | None = None,
    interval: float = DAY,
) -> None:
    """Purge once now and then every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            await purge(store, utcnow(), days, handoff)
        except Exception as exc:  # a failed purge must not stop the bot; retried next round
            log.warning("retention purge failed: %s", type(exc).__name__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            continue


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they are UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
