"""NLU benchmark: parse latency over HTTP (p50/p99), parses/s at concurrency 10, bot overhead.

Run: .venv/bin/python bench/nlu_bench.py [--requests 300]
Uses RASA_URL/RASA_TOKEN when set, else trains (or reuses) the model and starts its own server.
Parses go through the bot's own RasaNluClient, so the figures include the client's overhead.
The bot's own overhead is ConversationService.handle per free-text message (SQLite, console
channel) with an NLU that answers at once, i.e. what the bot adds on top of the parse.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bot.flows.nlu import NluResult
from bot.infra.rasa import RasaNluClient
from bot.nlu_tools.project import NluProject
from bot.nlu_tools.server import RasaServer
from bot.nlu_tools.train import train

MESSAGES = [
    "hey alles goe",
    "kheb gene goesting meer in school ik wil stoppen",
    "ik heb gisteren gebrost",
    "wat is duaal leren",
    "ik woon in borgerhout",
    "kvoel me echt slecht de laatste tijd",
    "tot wanneer is de leerplicht",
    "kan ik met een echte persoon praten",
    "merci",
    "wie wint de match",
]


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def sequential(client: RasaNluClient, count: int) -> list[float]:
    """Latency in ms of `count` parses one after the other."""
    latencies = []
    for i in range(count):
        started = time.perf_counter()
        result = await client.parse(MESSAGES[i % len(MESSAGES)])
        latencies.append((time.perf_counter() - started) * 1000)
        if result is None:
            raise SystemExit("parse failed: is Rasa up?")
    return latencies


async def concurrent(client: RasaNluClient, count: int, workers: int) -> float:
    """Parses per second with `workers` parses in flight."""
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            if await client.parse(MESSAGES[i % len(MESSAGES)]) is None:
                raise SystemExit("parse failed under load")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return count / (time.perf_counter() - started)


async def measure(url: str, token: str, count: int) -> dict[str, float]:
    """Run both measurements against one server."""
    client = RasaNluClient(url, token, timeout=10.0)
    try:
        await sequential(client, 20)  # warm-up
        latencies = await sequential(client, count)
        rate = await concurrent(client, count, 10)
    finally:
        await client.aclose()
    return {
        "requests": count,
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "parses_per_s_at_concurrency_10": round(rate, 1),
    }


class FixedNlu:
    """An NluClient that answers at once: isolates the bot's own work per message."""

    async def parse(self, text: str) -> NluResult | None:
        """Return the same confident parse for every text."""
        return NluResult("school_struggles", 0.95)


async def bot_overhead(count: int) -> dict[str, float]:
    """Milliseconds the conversation service spends per free-text message, NLU excluded."""
    from bot.app import build
    from bot.conversation.service import Inbound
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "WEGWIJS_DATA_DIR": tmp,
            "WEGWIJS_SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
        }
        app = await build(Settings.from_env(env))
        app.service.nlu = FixedNlu()
        try:
            await app.service.handle(Inbound("console", "bench", "bench", text="/start"))
            timings = []
            for i in range(count):
                text = MESSAGES[i % len(MESSAGES)]
                started = time.perf_counter()
                await app.service.handle(Inbound("console", f"pupil-{i % 20}", "x", text=text))
                timings.append((time.perf_counter() - started) * 1000)
        finally:
            await app.close()
    return {
        "messages": count,
        "p50_ms": round(statistics.median(timings), 1),
        "p99_ms": round(percentile(timings, 0.99), 1),
    }


def main() -> None:
    """Start (or reuse) a Rasa server, measure, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with ExitStack() as stack:
        url, token = os.environ.get("RASA_URL"), os.environ.get("RASA_TOKEN", "")
        if not url:
            project = NluProject.locate()
            server = stack.enter_context(RasaServer(project, train(project)))
            server.wait_ready()
            url, token = server.url, server.token
        figures = asyncio.run(measure(url, token, args.requests))
    overhead = asyncio.run(bot_overhead(args.requests))
    print(json.dumps({"nlu": figures, "bot_overhead_per_message": overhead}, indent=2))


if __name__ == "__main__":
    main()
