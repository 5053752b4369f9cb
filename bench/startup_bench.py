"""Start-up benchmark: time to load content/ (each loader separately) in fresh processes.

Run: .venv/bin/python bench/startup_bench.py [--rounds 3]
Each round runs `load_content` in a new Python process (nothing cached in memory), first with
an empty cache folder (the safety model is trained), then with the folder that run filled (the
model is read from disk), and reports the median per part. Imports are not counted (they are
measured separately as `import bot.content`). Target (issue 18): content in 0.5 s or less.
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
             "load_answers"):
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
print(json.dumps({"import": imported, "total": total, "parts": parts}))
"""


def run_once(content: Path, cache: Path) -> dict[str, object]:
    """One fresh process loading the content; its timings."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(content), str(cache)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Print the median timings (seconds) as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(run_once(args.content, Path(cache)))
            warm.append(run_once(args.content, Path(cache)))

    def median(runs: list[dict[str, object]]) -> dict[str, object]:
        parts = {name: round(statistics.median(float(r["parts"][name]) for r in runs), 3)  # type: ignore[index]
                 for name in runs[0]["parts"]}  # type: ignore[union-attr]
        return {
            "import_s": round(statistics.median(float(r["import"]) for r in runs), 3),  # type: ignore[arg-type]
            "load_content_s": round(statistics.median(float(r["total"]) for r in runs), 3),  # type: ignore[arg-type]
            "parts_s": dict(sorted(parts.items(), key=lambda kv: -kv[1])),
        }

    print(json.dumps({"rounds": args.rounds, "empty_cache": median(cold),
                      "cache_filled": median(warm)}, indent=2))


if __name__ == "__main__":
    main()
