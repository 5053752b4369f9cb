"""The six networks in `content/networks.yml`: names, deep-link codes and office hours.

The one reader of that file: the catalog (deep links) and the handoff (office hours, names)
both take their networks from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.catalog.files import CatalogFile, Sourced, read, sourced
from bot.flows.problems import Problem

FILE, SCHEMA = "networks.yml", "networks.schema.json"
NETWORK_IDS: tuple[str, ...] = (
    "antwerpen",
    "brussel",
    "limburg",
    "oost_vlaanderen",
    "vlaams_brabant",
    "west_vlaanderen",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Span = tuple[dt.time, dt.time]
MonthDay = tuple[int, int]


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """When counsellors of a network answer: weekly ranges and yearly closed periods.

    A moment with a time zone is converted to `timezone`; one without is taken as local time.
    """

    timezone: str
    weekly: Mapping[int, tuple[Span, ...]]
    closed: tuple[tuple[MonthDay, MonthDay], ...] = ()
    configurable: bool = True

    def is_open(self, moment: dt.datetime) -> bool:
        """True when counsellors answer at `moment`."""
        local = self._local(moment)
        if self._closed_on(local.date()):
            return False
        now = local.time()
        return any(begin <= now < end for begin, end in self.weekly.get(local.weekday(), ()))

    def next_open(self, moment: dt.datetime) -> dt.datetime | None:
        """The first moment from `moment` on when counsellors answer (None: never)."""
        if self.is_open(moment):
            return moment
        local = self._local(moment)
        for offset in range(400):
            day = local.date() + dt.timedelta(days=offset)
            if self._closed_on(day):
                continue
            for start, _ in sorted(self.weekly.get(day.weekday(), ())):
                begin = dt.datetime.combine(day, start, tzinfo=local.tzinfo)
                if begin > local:
                    return begin
        return None

    def _local(self, moment: dt.datetime) -> dt.datetime:
        zone = ZoneInfo(self.timezone)
        return moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)

    def _closed_on(self, day: dt.date) -> bool:
        key = (day.month, day.day)
        for start, end in self.closed:
            # a period may wrap around New Year (12-24 to 01-02)
            inside = start <= key <= end if start <= end else (key >= start or key <= end)
            if inside:
                return True
        return False


@dataclass(frozen=True, slots=True)
class Network:
    """A provincial network Samen tegen Schooluitval (or Brussels)."""

    id: str
    name: str
    display: str
    practice: str
    codes: tuple[str, ...]
    url: str | None
    office_hours: OfficeHours
    sourced: Sourced = field(default_factory=Sourced)


@dataclass(frozen=True, slots=True)
class Networks:
    """Every network by id, the deep-link codes (code -> network id), the default hours."""

    by_id: Mapping[str, Network]
    codes: Mapping[str, str]
    default_hours: OfficeHours


def load_networks(
    content_dir: Path, today: dt.date | None = None
) -> tuple[Networks | None, list[Problem]]:
    """Read and check `networks.yml`; None (with the problems) when there are errors."""
    ctx, problems = read(content_dir, FILE, SCHEMA, today or dt.date.today())
    if ctx is None:
        return None, problems
    networks = parse_networks(ctx)
    problems += ctx.problems
    if any(p.severity == "error" for p in problems):
        return None, problems
    return networks, problems


def parse_networks(ctx: CatalogFile) -> Networks:
    """The networks of a schema-checked `networks.yml`; problems go to `ctx`."""
    data = ctx.doc.data
    default = _office_hours(ctx, ("default_office_hours",), data["default_office_hours"])
    networks: dict[str, Network] = {}
    codes: dict[str, str] = {}
    for network_id, raw in data["networks"].items():
        path = ("networks", network_id)
        hours = (
            _office_hours(ctx, (*path, "office_hours"), raw["office_hours"])
            if "office_hours" in raw
            else default
        )
        for i, code in enumerate(raw["codes"]):
            owner = codes.get(code) or (code if code in NETWORK_IDS else None)
            if owner is not None:
                ctx.error(
                    (*path, "codes", i),
                    f"deep-link code '{code}' is also used for network '{owner}'",
                    "every code must be unique",
                )
            codes[code] = network_id
        networks[network_id] = Network(
            network_id,
            raw["name"],
            raw["display"],
            raw.get("practice", ""),
            tuple(raw["codes"]),
            raw.get("url"),
            hours,
            sourced(ctx, path, raw, f"network '{network_id}'"),
        )
    for missing in sorted(set(NETWORK_IDS) - set(networks)):
        ctx.error(
            ("networks",), f"network '{missing}' is missing", "the six networks must all be listed"
        )
    return Networks(networks, codes, default)


def _office_hours(ctx: CatalogFile, path: tuple[Any, ...], raw: Mapping[str, Any]) -> OfficeHours:
    weekly: dict[int, tuple[Span, ...]] = {}
    for day, ranges in raw["weekly"].items():
        spans = []
        for i, text in enumerate(ranges):
            begin, end = (_time(part) for part in text.split("-"))
            if begin >= end:
                ctx.error(
                    (*path, "weekly", day, i),
                    f"office hours '{text}' end before they begin",
                    "write e.g. 09:00-17:00",
                )
            spans.append((begin, end))
        weekly[WEEKDAYS.index(day)] = tuple(spans)
    closed = tuple(
        (_month_day(entry["from"]), _month_day(entry["to"])) for entry in raw.get("closed", ())
    )
    return OfficeHours(raw["timezone"], weekly, closed, bool(raw.get("configurable", True)))


def _month_day(text: str) -> MonthDay:
    month, day = text.split("-")
    return int(month), int(day)


def _time(text: str) -> dt.time:
    hours, minutes = (int(p) for p in text.split(":"))
    return dt.time.max if hours == 24 else dt.time(hours, minutes)
