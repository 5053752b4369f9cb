"""NLU benchmark: parse latency over HTTP (p50/p99, sequential) and parses/s at concurrency 10.

Run: .venv/bin/python bench/nlu_bench.py [--requests 300]
Uses RASA_URL/RASA_TOKEN when set, else trains (or reuses) the model and starts its own server.
Parses go through the bot's own RasaNluClient, so the figures include the client's overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from contextlib import ExitStack

from bot.adapters.rasa import RasaNluClient
from bot.nlu.project import NluProject
from bot.nlu.server import RasaServer
from bot.nlu.train import train

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
    print(json.dumps({"nlu": figures}, indent=2))


if __name__ == "__main__":
    main()
