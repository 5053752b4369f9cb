"""The anonymous events recorder: facts for the networks' figures, in the caller's transaction.

An event holds a day, a network, a kind and a detail from a fixed vocabulary (a flow id, a
safety level, an outcome), and sometimes a number (minutes waited). Never a pupil id, never
text the pupil wrote, never a time finer than a day: see docs/privacy.md.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.sql import utcnow
from bot.infra.tracking import Event

UNKNOWN_NETWORK = "onbekend"

# The kinds the figures report; a kind outside this list is refused, so no free text slips in.
KINDS = frozenset(
    {
        "conversation_started",
        "topic",
        "route_shown",
        "help_shown",
        "safety",
        "handoff_requested",
        "handoff_claimed",
        "handoff_closed",
        "checkin_planned",
        "checkin_sent",
        "checkin_answered",
        "checkin_stopped",
    }
)


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    """Whole minutes from start to end (a waiting time), None when one is unknown."""
    if start is None or end is None:
        return None
    aware = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in (start, end)]
    return max(0, int((aware[1] - aware[0]).total_seconds() // 60))


def record(
    session: AsyncSession,
    kind: str,
    network: str | None,
    detail: str = "",
    value: int | None = None,
    when: datetime | date | None = None,
) -> None:
    """Add one anonymous event to the caller's transaction (committed with the state)."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind '{kind}'")
    moment = when or utcnow()
    day = moment.date() if isinstance(moment, datetime) else moment
    session.add(
        Event(
            day=day,
            network=(network or UNKNOWN_NETWORK)[:32],
            kind=kind,
            detail=detail[:64],
            value=value,
        )
    )
