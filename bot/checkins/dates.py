"""The day a pupil gave for the first step of their plan ("vrijdag", "15/12", "3 januari").

This is parsing vocabulary, never shown to a pupil. Anything it cannot read gives None, and
the check-in then comes a week later.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "maart": 3, "mrt": 3, "april": 4,
    "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augustus": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
WEEKDAYS = {
    "maandag": 0, "dinsdag": 1, "woensdag": 2, "donderdag": 3, "vrijdag": 4, "zaterdag": 5,
    "zondag": 6,
}
RELATIVE = {"vandaag": 0, "morgen": 1, "overmorgen": 2}
HORIZON = timedelta(days=92)  # a step further away than this is not a first step

_NUMERIC = re.compile(r"\b(\d{1,2})[/\-.](\d{1,2})(?:[/\-.](\d{2,4}))?\b")
_NAMED = re.compile(r"\b(\d{1,2})\s+([a-z]+)\b")


def step_date(text: str, today: date) -> date | None:
    """The first day the text names, from today on and within about three months."""
    words = text.lower()
    found = _numeric(words, today) or _named(words, today) or _weekday(words, today)
    if found is None:
        found = next((today + timedelta(days=n) for w, n in RELATIVE.items()
                      if re.search(rf"\b{w}\b", words)), None)
    if found is None or not today <= found <= today + HORIZON:
        return None
    return found


def _numeric(words: str, today: date) -> date | None:
    match = _NUMERIC.search(words)
    if match is None:
        return None
    day, month, year = match.groups()
    return _make(int(day), int(month), _year(year), today)


def _named(words: str, today: date) -> date | None:
    for match in _NAMED.finditer(words):
        month = MONTHS.get(match.group(2))
        if month is not None:
            return _make(int(match.group(1)), month, None, today)
    return None


def _weekday(words: str, today: date) -> date | None:
    for name, weekday in WEEKDAYS.items():
        if re.search(rf"\b{name}\b", words):
            ahead = (weekday - today.weekday()) % 7
            return today + timedelta(days=ahead or 7)
    return None


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _make(day: int, month: int, year: int | None, today: date) -> date | None:
    """The date, in this year or the next when it has passed (no year given)."""
    try:
        found = date(year or today.year, month, day)
        if year is None and found < today:
            found = date(today.year + 1, month, day)
    except ValueError:
        return None
    return found
