"""The day a pupil gave for the first step of their plan."""

from __future__ import annotations

from datetime import date

import pytest

from bot.checkins.dates import step_date

TODAY = date(2026, 3, 4)  # a Wednesday


@pytest.mark.parametrize(("text", "expected"), [
    ("vrijdag", date(2026, 3, 6)),
    ("tegen woensdag", date(2026, 3, 11)),  # today's weekday: next week
    ("15/3", date(2026, 3, 15)),
    ("voor 20-04-2026", date(2026, 4, 20)),
    ("3 april", date(2026, 4, 3)),
    ("tegen 10 mrt", date(2026, 3, 10)),
    ("morgen", date(2026, 3, 5)),
    ("overmorgen", date(2026, 3, 6)),
])
def test_a_named_day_is_read(text: str, expected: date) -> None:
    assert step_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["deze week", "voor de vakantie", "31/2", "1 maart 2020",
                                  "15 augustus", "asap", ""])
def test_no_day_or_one_too_far_gives_none(text: str) -> None:
    assert step_date(text, TODAY) is None
