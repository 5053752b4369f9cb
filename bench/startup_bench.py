"""Start-up benchmark: time to load content/ (each loader separately) in fresh processes.

Run: .venv/bin/python bench/startup_bench.py [--rounds 3] [--no-app]
Each round runs `load_content` in a new Python process (nothing cached in memory), first with
an empty cache folder (the safety lexicon is compiled, its model trained, every check run),
then with the folder that run filled (what is derived from content is read from disk), and
reports the median per part and the process's resident memory (VmRSS, MiB) after the load.
Imports are not counted (they are measured separately as `import bot.content`). Target
(issue 18): content in 0.5 s or less with the cache folder filled.

Then (unless --no-app) the same for the whole application in a fresh process: `import bot.app`,
`build()` on a new SQLite data folder (content, database, services), and the first pupil turns
through `ConversationService.handle` (/start, then two free-text messages, with an NLU that
answers at once), so that laziness or cold caches would show in the first turn.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
started = time.perf_counter()
import bot.content as content_module
imported = time.perf_counter() - started
from pathlib import Path
content_dir, cache = Path(sys.argv[1]), Path(sys.argv[2])
parts = {}
for name in ("load_flows", "load_slots", "load_patterns", "load_texts", "load_listening",
             "load_answers", "texts_cut_by_comments", "flows_without_dialogue", "checked_key"):
    original = getattr(content_module, name)
    def timed(*args, _original=original, _name=name, **kwargs):
        began = time.perf_counter()
        try:
            return _original(*args, **kwargs)
        finally:
            parts[_name] = time.perf_counter() - began
    setattr(content_module, name, timed)
for module, name in ((content_module.catalog, "load"), (content_module.lexicon, "load"),
                     (content_module.places, "load_gazetteer"),
                     (content_module.counsellor, "load")):
    original = getattr(module, name)
    label = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"
    def timed(*args, _original=original, _label=label, **kwargs):
        began = time.perf_counter()
        try:
            return _original(*args, **kwargs)
        finally:
            parts[_label] = time.perf_counter() - began
    setattr(module, name, timed)
began = time.perf_counter()
loaded, problems = content_module.load_content(content_dir, cache)
total = time.perf_counter() - began
assert loaded is not None, [p.render() for p in problems if p.severity == "error"][:3]
rss = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmRSS:")) / 1024
print(json.dumps({"import": imported, "total": total, "parts": parts, "rss_mib": rss}))
"""

_APP = r"""
import asyncio, json, sys, time
from pathlib import Path

def rss():
    return next(int(line.split()[1]) for line in open("/proc/self/status")
                if line.startswith("VmRSS:")) / 1024

started = time.perf_counter()
from bot.app import build
from bot.conversation.service import Inbound
from bot.settings import Settings
from bench.nlu_bench import FixedNlu
figures = {"import": time.perf_counter() - started, "rss_imported_mib": rss()}
data = Path(sys.argv[1])

async def main():
    env = {"WEGWIJS_DATA_DIR": str(data), "WEGWIJS_SECRET_KEY": "bench-secret-0123456789abcdef",
           "DATABASE_URL": f"sqlite+aiosqlite:///{data / 'bench.db'}"}
    began = time.perf_counter()
    app = await build(Settings.from_env(env))
    figures["build"] = time.perf_counter() - began
    figures["rss_built_mib"] = rss()
    app.service.nlu = FixedNlu()
    turns = [("start", "/start"), ("first_text", "kheb gene goesting meer in school"),
             ("second_text", "ik wil stoppen met school")]
    try:
        for name, text in turns:
            began = time.perf_counter()
            await app.service.handle(Inbound("telegram", "p1", "1", text=text))
            figures[name] = time.perf_counter() - began
    finally:
        await app.close()
    figures["rss_after_turns_mib"] = rss()

asyncio.run(main())
print(json.dumps(figures))
"""


def run_once(content: Path, cache: Path) -> dict[str, object]:
    """One fresh process loading the content; its timings."""
    return _child(_CHILD, str(content), str(cache))


def _child(code: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def app_rounds(rounds: int) -> dict[str, dict[str, float]]:
    """Median figures of a fresh application: a new data folder, then the same one again."""
    cold: list[dict[str, object]] = []
    warm: list[dict[str, object]] = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as data:
            cold.append(_child(_APP, data))
            warm.append(_child(_APP, data))

    def median(runs: list[dict[str, object]]) -> dict[str, float]:
        return {name: round(statistics.median(float(r[name]) for r in runs), 3)  # type: ignore[arg-type]
                for name in runs[0]}

    return {"new_data_folder": median(cold), "data_folder_filled": median(warm)}


def main() -> None:
    """Print the median timings (seconds) as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--no-app", action="store_true", help="only load_content")
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(run_once(args.content, Path(cache)))
            warm.append(run_once(args.content, Path(cache)))

    def median(runs: list[dict[str, object]]) -> dict[str, object]:
        names = {name for r in runs for name in r["parts"]}  # type: ignore[attr-defined]
        # a part that did not run in a round (a check skipped for checked content) counts 0
        parts = {name: round(statistics.median(float(r["parts"].get(name, 0.0))  # type: ignore[attr-defined]
                                               for r in runs), 3)
                 for name in names}
        return {
            "import_s": round(statistics.median(float(r["import"]) for r in runs), 3),  # type: ignore[arg-type]
            "load_content_s": round(statistics.median(float(r["total"]) for r in runs), 3),  # type: ignore[arg-type]
            "rss_mib": round(statistics.median(float(r["rss_mib"]) for r in runs), 1),  # type: ignore[arg-type]
            "parts_s": dict(sorted(parts.items(), key=lambda kv: -kv[1])),
        }

    figures: dict[str, object] = {"rounds": args.rounds, "empty_cache": median(cold),
                                  "cache_filled": median(warm)}
    if not args.no_app:
        figures["app_s"] = app_rounds(args.rounds)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
