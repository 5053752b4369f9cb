"""A demo report: 3000 synthetic conversations (the tests' population) into a scratch data dir,
then `wegwijs figures` over January to April 2026. Usage:

    PYTHONPATH=. .venv/bin/python scripts/figures_demo.py /tmp/figures-demo
    chromium --headless --screenshot=docs/screenshots/figures-report.png \
        --window-size=1000,1600 /tmp/figures-demo/out/figures.html
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.cli import main
from bot.delivery import events
from bot.infra.sql import Store
from tests.figures.test_figures import population


async def fill(data: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{data / 'wegwijs.db'}")
    await store.migrate()
    async with store.transaction() as session:
        for row in population():
            events.record(session, row.kind, row.network, row.detail, row.value, row.day)
    await store.close()


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "figures-demo")
    (root / "data").mkdir(parents=True, exist_ok=True)
    asyncio.run(fill(root / "data"))
    os.environ["WEGWIJS_DATA_DIR"] = str(root / "data")
    os.environ.pop("DATABASE_URL", None)
    sys.exit(main(["figures", "--from", "2026-01-01", "--to", "2026-04-30", "--network", "kans",
                   "--out", str(root / "out")]))
