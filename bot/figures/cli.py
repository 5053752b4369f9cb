"""`wegwijs figures --from YYYY-MM-DD --to YYYY-MM-DD [--network X] [--out DIR]`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from pathlib import Path

from bot.figures.labels import load_labels
from bot.figures.render import write_report
from bot.figures.report import Row, build, read_rows, report_months
from bot.infra.sql import Store, database_url, utcnow
from bot.settings import Settings


def add_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `figures` on the CLI."""
    figures = commands.add_parser(
        "figures", help="write the anonymous figures per network and month (CSV + HTML)"
    )
    figures.add_argument("--from", dest="first", type=date.fromisoformat, required=True,
                         help="first day (YYYY-MM-DD); its whole month is reported")
    figures.add_argument("--to", dest="last", type=date.fromisoformat, required=True,
                         help="last day (YYYY-MM-DD); its month is reported once it is over")
    figures.add_argument("--network", default=None, help="one network id (default: all)")
    figures.add_argument("--out", type=Path, default=Path("figures"),
                         help="folder for figures.csv, waiting.csv and figures.html")
    figures.add_argument("--data-dir", type=Path, default=None)
    figures.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Read the events, count, suppress and write the report."""
    settings = Settings.from_env(data_dir=args.data_dir)
    labels = load_labels(settings.content_dir)
    months = report_months(args.first, args.last, utcnow().date())

    async def read() -> list[Row]:
        store = Store(database_url(settings.database_url, settings.data_dir))
        try:
            await store.migrate()
            return await read_rows(store, months)
        finally:
            await store.close()

    figures = build(asyncio.run(read()), months, args.network)
    asked = f"{args.first.isoformat()} – {args.last.isoformat()}"
    for path in write_report(figures, labels, args.out, asked, args.network):
        print(path)
    return 0
