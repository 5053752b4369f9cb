"""The figures on a synthetic population of a few thousand conversations: totals right, small
cells suppressed (also against computing them back), nothing to learn by differencing."""

from __future__ import annotations

import asyncio
import csv
import random
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli import main
from bot.delivery import events
from bot.delivery.retention import purge
from bot.figures.report import ALL, TOTAL, Figures, Row, build, read_rows, report_months
from bot.figures.suppression import THRESHOLD, disclosed, suppress
from bot.infra.sql import Store

NETWORKS = ["antwerpen", "kans", "limburg", "oost_vlaanderen", "vlaams_brabant",
            "west_vlaanderen", "onbekend"]
WEIGHTS = [30, 25, 15, 15, 8, 5, 2]  # small networks make small cells
TOPICS = ["quit_school", "truancy", "school_trouble", "wellbeing", "routes", "my_plan",
          "exit_talk", "roundtable"]
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]


def population(size: int = 3000, seed: int = 21) -> list[Row]:
    """Conversations with a topic, sometimes safety and a person; events as the bot records."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for _ in range(size):
        network = rng.choices(NETWORKS, WEIGHTS)[0]
        day = date(2026, rng.randint(1, 4), rng.randint(1, 28))
        rows.append(Row(day, network, "conversation_started", "", None))
        rows.append(Row(day, network, "topic", rng.choices(TOPICS, [9, 7, 6, 5, 4, 2, 1, 1])[0],
                        None))
        if rng.random() < 0.04:
            rows.append(Row(day, network, "safety", rng.choice(["care", "check", "crisis"]), None))
        if rng.random() < 0.15:
            rows.append(Row(day, network, "handoff_requested", "human", None))
            if rng.random() < 0.9:
                rows.append(Row(day, network, "handoff_claimed", "human", rng.randint(2, 600)))
                rows.append(Row(day, network, "handoff_closed",
                                rng.choice(["helped", "referred", "no_show"]),
                                rng.randint(30, 2000)))
    return rows


def truth(rows: list[Row]) -> Counter[tuple[str, str, str, str]]:
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for r in rows:
        month = r.day.strftime("%Y-%m")
        counts[(r.network, month, r.kind, r.detail)] += 1
        counts[(r.network, month, r.kind, TOTAL)] += 1
        counts[(ALL, month, r.kind, r.detail)] += 1
        counts[(ALL, month, r.kind, TOTAL)] += 1
    return counts


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return population()


@pytest.fixture(scope="module")
def figures(rows: list[Row]) -> Figures:
    return build(rows, MONTHS)


def test_every_published_number_is_the_true_count_and_totals_add_up(
        rows: list[Row], figures: Figures) -> None:
    counts = truth(rows)
    published = [c for c in figures.cells if c.count is not None]
    assert len(published) > 100
    for cell in published:
        detail = cell.detail if cell.kind != "conversation_started" else TOTAL
        assert cell.count == counts[(cell.network, cell.month, cell.kind, detail)], cell
    started = sum(1 for r in rows if r.kind == "conversation_started")
    all_started = [figures.cell(ALL, m, "conversation_started") for m in MONTHS]
    assert sum(c.count or 0 for c in all_started if c) == started == 3000


def test_no_published_cell_is_under_the_threshold_and_small_cells_exist(
        figures: Figures, rows: list[Row]) -> None:
    assert all(c.count is None or c.count == 0 or c.count >= THRESHOLD for c in figures.cells)
    hidden = [c for c in figures.cells if c.count is None]
    small = [k for k, n in truth(rows).items() if 0 < n < THRESHOLD]
    assert hidden and small  # the population does have small cells: the test is not vacuous


def test_no_hidden_cell_can_be_computed_back_from_the_totals(figures: Figures,
                                                            rows: list[Row]) -> None:
    counts = truth(rows)
    tables: dict[tuple[str, str], dict[tuple[str, str], int | None]] = {}
    for cell in figures.cells:
        tables.setdefault((cell.month, cell.kind), {})[(cell.network, cell.detail)] = cell.count
    complementary = 0
    for (month, kind), table in tables.items():
        networks = sorted({n for n, _ in table if n != ALL})
        details = sorted({d for _, d in table if d != TOTAL})
        sums = [[(n, TOTAL), *((n, d) for d in details)] for n in [*networks, ALL] if details]
        sums += [[(ALL, d), *((n, d) for n in networks)] for d in [*details, TOTAL]]
        hidden = {key for key, value in table.items() if value is None}
        known = {key: value or 0 for key, value in table.items()}
        assert disclosed(known, hidden, sums) == set(), (month, kind)
        for group in sums:
            assert sum(key in hidden for key in group) != 1, (month, kind, group)
        complementary += sum(counts[(n, month, kind, d)] >= THRESHOLD for n, d in hidden)
    assert complementary > 0  # some cells of 10 or more are hidden to protect a small one


def test_complementary_suppression_hides_a_second_cell_of_a_sum() -> None:
    counts = {"total": 40, "a": 3, "b": 17, "c": 20}
    hidden = suppress(counts, [["total", "a", "b", "c"]])
    assert hidden == {"a", "b"}  # b is the smallest other cell; the total stays visible
    assert disclosed(counts, hidden, [["total", "a", "b", "c"]]) == set()


def test_overlapping_periods_and_one_network_show_the_same_cells(rows: list[Row]) -> None:
    first = build(rows, MONTHS[:3])
    second = build(rows, MONTHS[1:])
    shared = set(MONTHS[1:3])
    one = {c for c in first.cells if c.month in shared}
    other = {c for c in second.cells if c.month in shared}
    assert one == other and one
    kans = build(rows, MONTHS, network="kans")
    everyone = build(rows, MONTHS)
    assert set(kans.cells) == {c for c in everyone.cells if c.network in ("kans", ALL)}


def test_one_more_pupil_in_a_small_cell_changes_no_published_number_but_totals(
        rows: list[Row]) -> None:
    extra = Row(date(2026, 3, 10), "west_vlaanderen", "safety", "crisis", None)
    before = {(c.network, c.month, c.kind, c.detail): c.count for c in build(rows, MONTHS).cells}
    after = {(c.network, c.month, c.kind, c.detail): c.count
             for c in build([*rows, extra], MONTHS).cells}
    assert after[("west_vlaanderen", "2026-03", "safety", "crisis")] is None
    changed = {k for k in after if before.get(k) != after[k]}
    # the only published numbers that move are totals of at least the threshold
    assert all(after[k] is None or (after[k] or 0) >= THRESHOLD for k in changed)


def test_only_whole_months_that_are_over_are_reported() -> None:
    assert report_months(date(2026, 1, 15), date(2026, 4, 2), date(2026, 4, 20)) == (
        "2026-01", "2026-02", "2026-03")
    assert report_months(date(2026, 11, 1), date(2027, 1, 31), date(2027, 6, 1)) == (
        "2026-11", "2026-12", "2027-01")


async def test_the_events_table_holds_no_pupil_id_and_no_time_of_day(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await store.migrate()
    try:
        async with store.engine.connect() as conn:
            found = await conn.run_sync(lambda sync: inspect(sync).get_columns("events"))
        columns = {c["name"]: str(c["type"]) for c in found}
        assert set(columns) == {"id", "day", "network", "kind", "detail", "value"}
        assert columns["day"] == "DATE"
        async with store.transaction() as session:
            with pytest.raises(ValueError, match="unknown event kind"):
                events.record(session, "pupil_said", "kans", "ik wil stoppen")
    finally:
        await store.close()


async def test_wegwijs_figures_writes_the_csv_and_a_page_without_script(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[Row]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite+aiosqlite:///{data / 'wegwijs.db'}")
    await store.migrate()
    async with store.transaction() as session:
        for r in rows:
            events.record(session, r.kind, r.network, r.detail, r.value, r.day)
    assert len(await read_rows(store, MONTHS)) == len(rows)
    await store.close()
    monkeypatch.setenv("WEGWIJS_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    out = tmp_path / "out"
    code = await _run_cli(["figures", "--from", "2026-01-01", "--to", "2026-03-31",
                           "--out", str(out)])
    assert code == 0
    with (out / "figures.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert {r["month"] for r in table} == {"2026-01", "2026-02", "2026-03"}
    assert all(r["count"] == "" for r in table if r["suppressed"] == "1")
    started = [r for r in table if (r["network"], r["kind"], r["detail"]) ==
               (ALL, "conversation_started", TOTAL)]
    expected = Counter(r.day.strftime("%Y-%m") for r in rows if r.kind == "conversation_started")
    assert {r["month"]: int(r["count"]) for r in started} == {
        m: expected[m] for m in ("2026-01", "2026-02", "2026-03")}
    page = (out / "figures.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page.lower() and "&lt;10" in page


async def _run_cli(argv: list[str]) -> int:
    return await asyncio.to_thread(main, argv)


async def test_the_events_are_kept_five_years_then_purged(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await store.migrate()
    try:
        async with store.transaction() as session:
            for day in (date(2020, 12, 31), date(2021, 1, 2), date(2025, 6, 1)):
                events.record(session, "conversation_started", "kans", when=day)
        await purge(store, datetime(2026, 1, 1, tzinfo=UTC))
        left = await read_rows(store, ["2020-12", "2021-01", "2025-06"])
        assert sorted(r.day for r in left) == [date(2021, 1, 2), date(2025, 6, 1)]
    finally:
        await store.close()
