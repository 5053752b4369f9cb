"""Quiet hours and due times: when the bot may send a message nobody is waiting for (a check-in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A span of local time (Europe/Brussels) in which no check-in is sent; may pass midnight."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, moment: datetime) -> bool:
        """Whether this moment falls in the quiet hours (local time)."""
        local = moment.astimezone(LOCAL).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def after(self, moment: datetime) -> datetime:
        """The moment itself, or the end of the quiet hours it falls in (in UTC)."""
        if not self.contains(moment):
            return moment.astimezone(UTC)
        local = moment.astimezone(LOCAL)
        end = datetime.combine(local.date(), self.end, tzinfo=LOCAL)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=LOCAL)
        return end.astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def due_at(now: datetime, days: int, quiet: QuietHours) -> datetime:
    """`days` later at the same local time of day, or at the end of the quiet hours."""
    local = now.astimezone(LOCAL)
    # calendar days in local time: a check-in across a DST change keeps its hour
    later = datetime.combine(local.date() + timedelta(days=days), local.time(), tzinfo=LOCAL)
    return quiet.after(later)
