"""Cost per message against the number of stored pupils (10, 10k, 100k), SQLite or PostgreSQL.

Run: .venv/bin/python bench/pupils_bench.py [--counts 10 10000 100000] [--postgres URL]
For each count: a fresh database, that many stored pupils (each with the sealed state of a
pupil who has talked), then 20 active pupils send `--messages` free-text messages through
ConversationService.handle (an NLU that answers at once, so only the bot's own work is
measured). Prints the p50/p99 ms per message, CPU ms per message and the process's RSS.
With --postgres a scratch database is created next to the one in the URL and dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.nlu_bench import MESSAGES, FixedNlu, percentile  # noqa: E402
from bot.app import build  # noqa: E402
from bot.conversation.service import Inbound  # noqa: E402
from bot.infra.sql import Pupil, utcnow  # noqa: E402
from bot.settings import Settings  # noqa: E402

ACTIVE = 20
CHUNK = 5_000


def rss_mib() -> float:
    """Resident memory of this process now (MiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def measure(database_url: str, data_dir: Path, stored: int, messages: int
                  ) -> dict[str, Any]:
    """Fill the database with `stored` pupils, then time `messages` messages."""
    env = {"WEGWIJS_DATA_DIR": str(data_dir), "WEGWIJS_SECRET_KEY": "bench-secret-0123456789abcdef",
           "DATABASE_URL": database_url}
    app = await build(Settings.from_env(env))
    app.service.nlu = FixedNlu()
    try:
        await app.service.handle(Inbound("telegram", "seed", "1", text="/start"))
        await app.service.handle(Inbound("telegram", "seed", "1", text="ik wil stoppen"))
        async with app.store.transaction() as session:
            seed = (await session.scalars(select(Pupil))).one()
            state, address = seed.state, seed.address
        now = utcnow()
        for start in range(0, stored, CHUNK):
            rows = [{"id": uuid.uuid4().hex, "channel": "telegram", "address": address,
                     "state": state, "created_at": now, "updated_at": now}
                    for _ in range(min(CHUNK, stored - start))]
            async with app.store.transaction() as session:
                await session.execute(insert(Pupil), rows)
        for pupil in range(ACTIVE):
            await app.service.handle(Inbound("telegram", f"active-{pupil}", str(pupil),
                                             text="/start"))
        timings: list[float] = []
        cpu_before = time.process_time()
        for index in range(messages):
            pupil = index % ACTIVE
            began = time.perf_counter()
            await app.service.handle(Inbound("telegram", f"active-{pupil}", str(pupil),
                                             text=MESSAGES[index % len(MESSAGES)]))
            timings.append((time.perf_counter() - began) * 1000)
        cpu = time.process_time() - cpu_before
    finally:
        await app.close()
    return {
        "stored_pupils": stored,
        "p50_ms": round(statistics.median(timings), 1),
        "p99_ms": round(percentile(timings, 0.99), 1),
        "cpu_ms_per_message": round(cpu / messages * 1000, 1),
        "rss_mib": round(rss_mib(), 0),
    }


async def with_postgres(url: str, run: Any) -> Any:
    """Run `run(url)` against a scratch database created next to `url`'s, dropped afterwards."""
    import asyncpg

    base, _, _ = url.rpartition("/")
    name = f"wegwijs_bench_{uuid.uuid4().hex[:8]}"
    plain = base.replace("postgresql+asyncpg", "postgresql")
    admin = await asyncpg.connect(f"{plain}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return await run(f"{base}/{name}")
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    """Print one JSON line per stored-pupil count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 10_000, 100_000])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--postgres", help="e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    for count in args.counts:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            if args.postgres:
                figures = asyncio.run(with_postgres(
                    args.postgres, lambda url, d=data, c=count: measure(url, d, c, args.messages)))
                figures["database"] = "postgresql"
            else:
                url = f"sqlite+aiosqlite:///{data / 'bench.db'}"
                figures = asyncio.run(measure(url, data, count, args.messages))
                figures["database"] = "sqlite"
        figures["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
