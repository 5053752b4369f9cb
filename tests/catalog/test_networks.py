"""Office hours of the networks (content/networks.yml): open, closed, next opening."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.catalog.networks import OfficeHours

ZONE = "Europe/Brussels"
WEEKDAYS = {i: ((time(9), time(17)),) for i in range(5)}


def brussels(*args: int) -> datetime:
    """A moment given in Brussels winter time (UTC+1)."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=1)  # type: ignore[misc]


def test_office_hours_open_and_next_opening() -> None:
    hours = OfficeHours(ZONE, WEEKDAYS)
    assert hours.is_open(brussels(2025, 3, 12, 10, 0))
    assert not hours.is_open(brussels(2025, 3, 12, 17, 0))
    assert hours.next_open(brussels(2025, 3, 15, 11, 0)) == brussels(2025, 3, 17, 9, 0)
    assert hours.next_open(brussels(2025, 3, 12, 7, 30)) == brussels(2025, 3, 12, 9, 0)


def test_closed_periods_count_also_across_new_year() -> None:
    hours = OfficeHours(ZONE, WEEKDAYS, (((12, 24), (1, 2)),))
    assert not hours.is_open(brussels(2025, 12, 29, 10, 0))
    assert hours.next_open(brussels(2025, 12, 29, 10, 0)) == brussels(2026, 1, 5, 9, 0)
