"""Safety screen benchmark: time per message of `screen` (rules, concept net, learned model).

Run: .venv/bin/python bench/safety_bench.py [--rounds 20]
Prints JSON: the mean time per message of five typical messages, the mean, p50 and p99 per
message over the labelled and everyday sets (tests/safety, not the blind sets), the same in the
heightened state (after a disclosure), a few very long messages, and the time to load the
lexicon: training its learned model, from the cache folder (a new process), and from this
process's cache (a content reload). Target: a typical message well
under 1 ms (the pipeline screens every pupil text before anything else).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bot.safety import lexicon_cache, model_cache
from bot.safety.lexicon import load
from bot.safety.report import read_cases
from bot.safety.screen import Lexicon, screen

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
SETS = ROOT / "tests" / "safety"
TYPICAL = [
    "ik heb een vraag over de leerplicht, mag ik stoppen als ik 16 ben?",
    "mijn vader slaat mij als hij dronken is en ik weet niet wat ik moet doen",
    "ik wil dood",
    "hallo",
    "ik ben doodmoe van school vandaag",
]
LONG = [
    "a" * 10_000,
    "ik wil " * 1_500,
    "ik ga dood van het lachen " * 400,
    "x" * 9_990 + " ik wil dood",
]


Times = list[tuple[float, float]]  # (CPU µs, wall-clock µs) per message


def per_message(texts: list[str], lexicon: Lexicon, *, heightened: bool = False) -> Times:
    """CPU and wall-clock time in µs of one `screen` call per text.

    CPU time is the figure to compare: on a shared machine the wall clock also counts the time
    other processes had the core.
    """
    times = []
    for text in texts:
        cpu, wall = time.process_time(), time.perf_counter()
        screen(text, lexicon, heightened=heightened)
        times.append(((time.process_time() - cpu) * 1e6, (time.perf_counter() - wall) * 1e6))
    return times


def summary(times: Times) -> dict[str, float]:
    """Mean, p50 and p99 of the CPU time in µs, and the mean wall-clock time."""
    ordered = sorted(cpu for cpu, _ in times)
    return {
        "messages": len(times),
        "cpu_mean_us": round(statistics.fmean(ordered), 1),
        "cpu_p50_us": round(ordered[len(ordered) // 2], 1),
        "cpu_p99_us": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
        "wall_mean_us": round(statistics.fmean(wall for _, wall in times), 1),
    }


def load_seconds(cache_dir: Path) -> float:
    """Wall-clock seconds to load and compile content/safety.yml with its model."""
    started = time.perf_counter()
    lexicon, problems = load(CONTENT, cache_dir=cache_dir)
    assert lexicon is not None, problems
    return time.perf_counter() - started


def load_times() -> dict[str, float]:
    """Loading with the model trained, read from the cache folder, and kept in the process."""
    with tempfile.TemporaryDirectory() as folder:
        model_cache.forget()
        lexicon_cache.forget()
        trained = load_seconds(Path(folder))
        model_cache.forget()
        lexicon_cache.forget()
        from_disk = load_seconds(Path(folder))
        in_process = load_seconds(Path(folder))
    return {
        "load_training_s": round(trained, 2),
        "load_from_cache_folder_s": round(from_disk, 2),
        "load_from_process_cache_s": round(in_process, 2),
    }


def main() -> None:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the typical messages")
    args = parser.parse_args()
    loading = load_times()
    lexicon, problems = load(CONTENT)
    assert lexicon is not None, problems
    screen(TYPICAL[0], lexicon)  # warm up the compiled patterns
    typical = [t for _ in range(args.rounds) for t in per_message(TYPICAL, lexicon)]
    texts = [
        case.text
        for path in sorted(SETS.glob("*.yml"))
        for case in read_cases(path)
    ]
    figures = {
        "typical": summary(typical),
        "sets": summary(per_message(texts, lexicon)),
        "sets_heightened": summary(per_message(texts, lexicon, heightened=True)),
        "long_10k_chars": summary(per_message(LONG, lexicon)),
        **loading,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
