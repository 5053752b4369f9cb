"""Due times: the chosen number of days later, never in the quiet hours."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.delivery.quiet_hours import LOCAL, QuietHours, due_at
from bot.errors import SettingsError
from bot.settings import Settings
from tests.checkins.conftest import local

NIGHT = QuietHours(time(21, 0), time(8, 0))


def test_a_check_in_asked_for_in_the_afternoon_comes_at_the_same_hour_days_later() -> None:
    due = due_at(local(date(2026, 3, 2), 15, 40), 7, NIGHT)
    assert due.astimezone(LOCAL).replace(tzinfo=None).isoformat() == "2026-03-09T15:40:00"


@pytest.mark.parametrize(("hour", "minute", "expected"), [
    (21, 0, "2026-03-10T08:00:00"),   # the quiet hours begin: next morning
    (23, 30, "2026-03-10T08:00:00"),
    (0, 15, "2026-03-09T08:00:00"),   # after midnight: the same morning
    (7, 59, "2026-03-09T08:00:00"),
    (8, 0, "2026-03-09T08:00:00"),    # the quiet hours are over
    (20, 59, "2026-03-09T20:59:00"),
])
def test_a_due_time_in_the_quiet_hours_moves_to_their_end(hour: int, minute: int,
                                                          expected: str) -> None:
    due = due_at(local(date(2026, 3, 2), hour, minute), 7, NIGHT)
    assert due.astimezone(LOCAL).replace(tzinfo=None).isoformat() == expected
    assert not NIGHT.contains(due)


def test_over_a_change_to_summer_time_the_local_hour_is_kept() -> None:
    due = due_at(local(date(2026, 3, 25), 16, 0), 7, NIGHT)  # DST starts on 29 March
    assert due.astimezone(LOCAL).hour == 16


def test_quiet_hours_within_one_day_are_understood_too() -> None:
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert lunch.contains(local(date(2026, 3, 2), 12, 30))
    assert not lunch.contains(local(date(2026, 3, 2), 23, 30))
    assert lunch.after(local(date(2026, 3, 2), 12, 30)) == local(date(2026, 3, 2), 13, 0)


def test_quiet_hours_and_the_limit_come_from_the_environment() -> None:
    settings = Settings.from_env({"WEGWIJS_QUIET_HOURS": "22:00-07:30",
                                  "WEGWIJS_CHECKINS_MAX": "5"})
    assert settings.quiet_hours == (time(22, 0), time(7, 30))
    assert settings.checkins_max == 5
    assert Settings.from_env({}).quiet_hours == (time(21, 0), time(8, 0))


@pytest.mark.parametrize("raw", ["21-8", "25:00-08:00", "21:00 tot 08:00", "21:60-08:00"])
def test_quiet_hours_that_are_not_times_are_refused_by_name(raw: str) -> None:
    with pytest.raises(SettingsError, match="WEGWIJS_QUIET_HOURS"):
        Settings.from_env({"WEGWIJS_QUIET_HOURS": raw})
