"""Where the bot's own CPU goes per pupil message: cProfile over the conversation service.

Run: .venv/bin/python bench/profile_turn.py [--messages 400] [--top 40] [--sort tottime] [--plain]
A fresh SQLite database in a temporary folder, 20 pupils who each start and then send the
free-text messages of bench/nlu_bench.py in turn through ConversationService.handle, with an
NLU that answers at once (FixedNlu), so only the bot's own work is profiled. Prints the CPU ms
per message, the number of SQL statements per message and the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.nlu_bench import MESSAGES, FixedNlu  # noqa: E402
from bot.app import build  # noqa: E402
from bot.conversation.service import Inbound  # noqa: E402
from bot.settings import Settings  # noqa: E402

PUPILS = 20


async def run(messages: int, top: int, sort: str, plain: bool = False) -> None:
    """Warm up 20 pupils, then profile `messages` messages."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"WEGWIJS_DATA_DIR": tmp, "WEGWIJS_SECRET_KEY": "bench-secret-0123456789abcdef",
               "DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"}
        app = await build(Settings.from_env(env))
        app.service.nlu = FixedNlu()
        statements = [0]

        def count(*_: object) -> None:
            statements[0] += 1

        event.listen(app.store.engine.sync_engine, "before_cursor_execute", count)
        try:
            for pupil in range(PUPILS):
                await app.service.handle(Inbound("telegram", f"p{pupil}", str(pupil),
                                                 text="/start"))
            statements[0] = 0
            profile = cProfile.Profile()
            cpu = time.process_time()
            if not plain:
                profile.enable()
            for index in range(messages):
                pupil = index % PUPILS
                await app.service.handle(Inbound("telegram", f"p{pupil}", str(pupil),
                                                 text=MESSAGES[index % len(MESSAGES)]))
            profile.disable()
            cpu = time.process_time() - cpu
        finally:
            await app.close()
    under = "without" if plain else "under"
    print(f"{messages} messages: {cpu / messages * 1000:.2f} ms CPU per message {under} the "
          f"profiler, {statements[0] / messages:.1f} SQL statements per message")
    if not plain:
        pstats.Stats(profile).sort_stats(sort).print_stats(top)


def main() -> None:
    """Parse the arguments and profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--plain", action="store_true",
                        help="no profiler: only the CPU per message and the statements")
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.top, args.sort, args.plain))


if __name__ == "__main__":
    main()
