"""The report as files: one CSV of the cells, one of the waiting times, one HTML page.

The page is self-contained (inline CSS, hand-made SVG bar charts, no script), so it opens
offline, prints, and reads without JavaScript. Bar charts of a few months need no plotting
library: one <rect> per month and a label, which also keeps the page small and diffable.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from pathlib import Path

from bot.delivery.events import UNKNOWN_NETWORK
from bot.figures.labels import Labels
from bot.figures.report import ALL, TOTAL, Cell, Figures
from bot.figures.suppression import THRESHOLD

CSV_FILE = "figures.csv"
WAITING_FILE = "waiting.csv"
HTML_FILE = "figures.html"


def write_report(figures: Figures, labels: Labels, out: Path, asked: str,
                 network: str | None) -> list[Path]:
    """Write the CSV files and the HTML page into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / CSV_FILE, out / WAITING_FILE, out / HTML_FILE]
    with paths[0].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["network", "month", "kind", "detail", "count", "suppressed"])
        for c in figures.cells:
            writer.writerow([c.network, c.month, c.kind, c.detail,
                             "" if c.count is None else c.count, int(c.count is None)])
    with paths[1].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["network", "month", "kind", "median_minutes"])
        for w in figures.waiting:
            writer.writerow([w.network, w.month, w.kind, w.median_minutes])
    paths[2].write_text(page(figures, labels, asked, network), encoding="utf-8")
    return paths


def page(figures: Figures, labels: Labels, asked: str, network: str | None) -> str:
    """The HTML report for one network (its row) or for all networks together."""
    row = network or ALL
    shown = _network_name(labels, row)
    hidden = labels["suppressed"].format(threshold=THRESHOLD)
    parts = [
        f"<h1>{_e(labels['title'])}</h1>",
        f"<p>{_e(labels['intro'])}</p>",
        f"<p><b>{_e(labels['network'])}:</b> {_e(shown)}. <b>{_e(labels['period'])}:</b> "
        f"{_e(_span(figures.months))}</p>",
        f"<p class=note>{_e(labels['months_note'].format(asked=asked))} "
        f"{_e(labels['suppression_note'].format(threshold=THRESHOLD))}</p>",
    ]
    if not figures.cells:
        parts.append(f"<p>{_e(labels['nothing'])}</p>")
    for kind, title in labels.kinds.items():
        cells = [c for c in figures.cells if c.kind == kind and c.network == row]
        if not cells:
            continue
        totals = [_find(cells, month, TOTAL) for month in figures.months]
        parts.append(f"<section><h2>{_e(title)}</h2>")
        parts.append(bar_chart(figures.months, totals, hidden, title))
        details = sorted({c.detail for c in cells if c.detail != TOTAL})
        if details:
            parts.append(_table(figures.months, cells, details, labels, hidden))
        parts.append("</section>")
    waits = [w for w in figures.waiting if w.network == row]
    if waits:
        parts.append(f"<section><h2>{_e(labels['waiting_title'])}</h2>")
        parts.append(f"<p class=note>{_e(labels['waiting_note'].format(threshold=THRESHOLD))}</p>")
        parts.append("<table><tr><th></th>" + "".join(
            f"<th>{_e(m)}</th>" for m in figures.months) + "</tr>")
        for kind, title in labels.waiting.items():
            by_month = {w.month: w.median_minutes for w in waits if w.kind == kind}
            parts.append(f"<tr><th>{_e(title)}</th>" + "".join(
                f"<td>{by_month.get(m, '–')}</td>" for m in figures.months) + "</tr>")
        parts.append("</table></section>")
    body = "\n".join(parts)
    return (
        "<!doctype html>\n<html lang=nl><head><meta charset=utf-8>"
        f"<title>{_e(labels['title'])}</title><style>{STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def bar_chart(months: Sequence[str], values: Sequence[int | None], hidden: str,
              title: str) -> str:
    """A vertical bar per month; a hidden value is a dashed outline marked `hidden`."""
    width, height, top, bottom, gap = 64, 160, 20, 28, 12
    peak = max([v for v in values if v is not None] or [1]) or 1
    bars: list[str] = []
    for index, (month, value) in enumerate(zip(months, values, strict=True)):
        x = 40 + index * (width + gap)
        if value is None:
            bar_height = max(8, (height - top - bottom) // 10)
            y = height - bottom - bar_height
            bars.append(f'<rect x="{x}" y="{y}" width="{width}" height="{bar_height}" '
                        'class="hidden"/>')
            label = hidden
        else:
            bar_height = round((height - top - bottom) * value / peak)
            y = height - bottom - bar_height
            bars.append(f'<rect x="{x}" y="{y}" width="{width}" height="{bar_height}" '
                        'class="bar"/>')
            label = str(value)
        bars.append(f'<text x="{x + width / 2}" y="{y - 4}" class="value">{_e(label)}</text>')
        bars.append(f'<text x="{x + width / 2}" y="{height - 10}" class="month">{_e(month)}</text>')
    total_width = 40 + len(months) * (width + gap)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width}" height="{height}" '
        f'viewBox="0 0 {total_width} {height}" role="img" aria-label="{_e(title)}">'
        f'<line x1="36" y1="{height - bottom}" x2="{total_width}" y2="{height - bottom}" '
        'class="axis"/>' + "".join(bars) + "</svg>"
    )


def _table(months: Sequence[str], cells: Sequence[Cell], details: Sequence[str],
           labels: Labels, hidden: str) -> str:
    rows = ["<table><tr><th>" + _e(labels["detail"]) + "</th>"
            + "".join(f"<th>{_e(m)}</th>" for m in months) + "</tr>"]
    for detail in [*details, TOTAL]:
        name = labels["total"] if detail == TOTAL else detail
        values = [_find(cells, month, detail) for month in months]
        rows.append(f"<tr><th>{_e(name)}</th>" + "".join(
            f"<td>{hidden if v is None else v}</td>" if _present(cells, m, detail) else "<td>0</td>"
            for m, v in zip(months, values, strict=True)) + "</tr>")
    rows.append("</table>")
    return "".join(rows)


def _find(cells: Sequence[Cell], month: str, detail: str) -> int | None:
    for cell in cells:
        if cell.month == month and cell.detail == detail:
            return cell.count
    return 0


def _present(cells: Sequence[Cell], month: str, detail: str) -> bool:
    return any(c.month == month and c.detail == detail for c in cells)


def _network_name(labels: Labels, network: str) -> str:
    if network == ALL:
        return labels["all_networks"]
    return labels["unknown_network"] if network == UNKNOWN_NETWORK else network


def _span(months: Sequence[str]) -> str:
    return f"{months[0]} – {months[-1]}" if months else "–"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1b1b}h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:2rem}"
    ".note{color:#555;font-size:.9rem}table{border-collapse:collapse;margin:.5rem 0}"
    "th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}th{text-align:left}"
    "svg .bar{fill:#2f6f9f}svg .hidden{fill:none;stroke:#999;stroke-dasharray:4 3}"
    "svg .axis{stroke:#888}svg text{font-size:12px;text-anchor:middle;fill:#333}"
)
