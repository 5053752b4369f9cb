"""The figures: anonymous events counted per network, month, kind and detail, then suppressed.

Only whole months that are over are reported. A month's cells depend on that month's events
alone, and suppression is worked out over every network before `--network` picks one, so two
reports over overlapping periods (or for one network and for all) show the same cells for the
same month: subtracting one from the other reveals nothing new.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bot.delivery.events import KINDS
from bot.figures.suppression import THRESHOLD, suppress
from bot.infra.sql import Store
from bot.infra.tracking import Event

ALL = "alle"  # the row of all networks together
TOTAL = "*"  # the column of all details together
# waiting times come from these kinds' values (minutes since the request)
WAIT_KINDS = ("handoff_claimed", "handoff_closed")


@dataclass(frozen=True, slots=True)
class Cell:
    """One published number; `count` is None when it is suppressed."""

    network: str
    month: str
    kind: str
    detail: str
    count: int | None


@dataclass(frozen=True, slots=True)
class Waiting:
    """Median minutes from a request for a person to the claim (or to the close).

    Only shown from THRESHOLD cases on; the number of cases is not repeated here (it is a cell,
    and may be hidden to protect another one)."""

    network: str
    month: str
    kind: str
    median_minutes: int


@dataclass(frozen=True, slots=True)
class Figures:
    """A report: its months, networks, cells and waiting times."""

    months: tuple[str, ...]
    networks: tuple[str, ...]
    cells: tuple[Cell, ...]
    waiting: tuple[Waiting, ...]

    def cell(self, network: str, month: str, kind: str, detail: str = TOTAL) -> Cell | None:
        """One cell, or None when nothing happened there."""
        for cell in self.cells:
            if (cell.network, cell.month, cell.kind, cell.detail) == (network, month, kind, detail):
                return cell
        return None


@dataclass(frozen=True, slots=True)
class Row:
    """One event as read from the table (a day, never finer)."""

    day: date
    network: str
    kind: str
    detail: str
    value: int | None


def report_months(first: date, last: date, today: date) -> tuple[str, ...]:
    """The whole months from `first`'s to `last`'s that are over by `today`."""
    months: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month) and (year, month) < (today.year, today.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


async def read_rows(store: Store, months: Sequence[str]) -> list[Row]:
    """The events of these months."""
    if not months:
        return []
    start = date.fromisoformat(months[0] + "-01")
    year, month = (int(part) for part in months[-1].split("-"))
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    async with store.transaction() as session:
        found = await session.execute(
            select(Event.day, Event.network, Event.kind, Event.detail, Event.value).where(
                Event.day >= start, Event.day < end
            )
        )
        return [Row(*row) for row in found.all()]


def build(rows: Iterable[Row], months: Sequence[str], network: str | None = None) -> Figures:
    """Count, suppress over all networks, then keep one network (and all) when asked."""
    counts: Counter[tuple[str, str, str, str]] = Counter()
    values: defaultdict[tuple[str, str, str], list[int]] = defaultdict(list)
    wanted = set(months)
    for row in rows:
        month = row.day.strftime("%Y-%m")
        if month not in wanted or row.kind not in KINDS:
            continue
        counts[(month, row.kind, row.network, row.detail)] += 1
        if row.kind in WAIT_KINDS and row.value is not None:
            values[(month, row.kind, row.network)].append(row.value)
            values[(month, row.kind, ALL)].append(row.value)
    cells: list[Cell] = []
    networks = sorted({key[2] for key in counts})
    for month in months:
        for kind in sorted(KINDS):
            cells += _table(month, kind, counts)
    waiting = [
        Waiting(net, month, kind, round(statistics.median(values[(month, kind, net)])))
        for month in months
        for kind in WAIT_KINDS
        for net in [*networks, ALL]
        if len(values.get((month, kind, net), [])) >= THRESHOLD
    ]
    if network is not None:
        cells = [c for c in cells if c.network in (network, ALL)]
        waiting = [w for w in waiting if w.network in (network, ALL)]
        networks = [n for n in networks if n == network]
    return Figures(tuple(months), tuple(networks), tuple(cells), tuple(waiting))


def _table(month: str, kind: str, counts: Counter[tuple[str, str, str, str]]) -> list[Cell]:
    """One month's table of one kind: networks by details, with totals both ways."""
    mine = {
        (net, detail): n for (m, k, net, detail), n in counts.items() if (m, k) == (month, kind)
    }
    if not mine:
        return []
    networks = sorted({net for net, _ in mine})
    details = sorted({detail for _, detail in mine})
    table: dict[tuple[str, str], int] = dict(mine)
    for net in networks:
        table[(net, TOTAL)] = sum(n for (row, _), n in mine.items() if row == net)
    for detail in [*details, TOTAL]:
        table[(ALL, detail)] = sum(table.get((net, detail), 0) for net in networks)
    plain = details == [""]  # a kind without details: the total column is the only one
    columns = [TOTAL] if plain else [*details, TOTAL]
    sums: list[list[tuple[str, str]]] = []
    for net in [*networks, ALL]:
        if not plain:
            sums.append([(net, TOTAL), *((net, d) for d in details)])
    for detail in columns:
        sums.append([(ALL, detail), *((net, detail) for net in networks)])
    if plain:
        table = {key: n for key, n in table.items() if key[1] == TOTAL}
    hidden = suppress(table, sums)
    return [
        Cell(net, month, kind, detail, None if (net, detail) in hidden else n)
        for (net, detail), n in sorted(table.items())
    ]

