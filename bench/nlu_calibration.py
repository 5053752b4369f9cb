"""How far Rasa's `crisis` confidence can be trusted per model, and what the screen makes of it.

Run: .venv/bin/python bench/nlu_calibration.py MODEL.tar.gz [MODEL.tar.gz ...]
Starts a Rasa server for each model (nlu/models/...), parses every line of the labelled safety
sets (tests/safety/*.yml), the hard everyday set and the blind set heldout6, and prints JSON:

- reliability of "is it a crisis?" read from Rasa alone: for crisis lines and for the others,
  the share whose crisis confidence reaches each threshold, the mean crisis confidence, and
  Rasa's own accuracy against its mean top confidence (over the lines with a label);
- the safety screen with the parses (`bot.safety.report.evaluate`) on the everyday set and on
  heldout6 at several `nlu.check_threshold` values (the one in content/safety.yml and others),
  to choose that threshold from the measurement.

Blind set 7 is not parsed here: it stays for `wegwijs safety report`.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from statistics import mean

from bot.flows.nlu import NluResult
from bot.nlu_tools.project import NluProject
from bot.nlu_tools.server import RasaServer
from bot.safety.lexicon import load
from bot.safety.report import Case, evaluate, parse_all, read_cases
from bot.safety.screen import Lexicon

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "safety"
LEVELS = (0.35, 0.5, 0.8, 0.9, 0.95, 0.98)
CHECK_THRESHOLDS = (0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)


def labelled() -> dict[str, list[Case]]:
    """Every set with crisis / non-crisis labels; `labelled` = the tuning and red-team sets."""
    tuning = [c for path in sorted(SETS.glob("*.yml")) if path.stem != "everyday"
              for c in read_cases(path)]
    return {
        "labelled": [c for c in tuning if c.expect in {"crisis", "none"}],
        "everyday": [c for c in read_cases(SETS / "everyday.yml") if c.expect == "none"],
        "heldout6": [c for c in read_cases(SETS / "blind" / "heldout6.yml")
                     if c.expect in {"crisis", "none"}],
    }


def reliability(cases: list[Case], parses: dict[str, NluResult]) -> dict[str, object]:
    """Rasa alone on crisis / not crisis."""
    crisis = [parses[c.text].score("crisis") for c in cases if c.expect == "crisis"
              and c.text in parses]
    others = [parses[c.text].score("crisis") for c in cases if c.expect == "none"
              and c.text in parses]
    right = [(parses[c.text].intent == "crisis") == (c.expect == "crisis")
             for c in cases if c.text in parses]
    top = [parses[c.text].confidence for c in cases if c.text in parses]

    def shares(scores: list[float]) -> dict[str, float]:
        return {str(t): round(sum(s >= t for s in scores) / len(scores), 4) for t in LEVELS}

    return {
        "crisis_lines": len(crisis),
        "other_lines": len(others),
        "crisis_at_or_above": shares(crisis) if crisis else {},
        "others_at_or_above": shares(others) if others else {},
        "mean_crisis_confidence_on_crisis": round(mean(crisis), 4) if crisis else None,
        "mean_crisis_confidence_on_others": round(mean(others), 4) if others else None,
        "others_called_crisis": round(
            sum(parses[c.text].intent == "crisis" for c in cases
                if c.expect == "none" and c.text in parses) / max(1, len(others)), 4),
        "crisis_or_not_accuracy": round(mean(right), 4) if right else None,
        "mean_top_confidence": round(mean(top), 4) if top else None,
    }


def screen_figures(
    sets: dict[str, list[Case]], lexicon: Lexicon, parses: dict[str, NluResult]
) -> dict[str, dict[str, object]]:
    """The screen's figures per check threshold of the NLU signal."""
    found: dict[str, dict[str, object]] = {}
    for threshold in sorted({*CHECK_THRESHOLDS, lexicon.nlu.check_threshold}):
        tuned = replace(lexicon, nlu=replace(lexicon.nlu, check_threshold=threshold))
        row: dict[str, object] = {}
        for name, cases in sets.items():
            score = evaluate(name, cases, tuned, parses)
            row[name] = {
                "recall": round(score.recall, 4),
                "crisis_or_check": round(score.crisis_or_check, 4),
                "false_crisis": round(score.false_positive_rate, 4),
                "check": round(score.check_rate, 4),
            }
        found[str(threshold)] = row
    return found


def main() -> None:
    """Measure each model; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    args = parser.parse_args()
    project = NluProject.locate()
    lexicon, problems = load(ROOT / "content")
    if lexicon is None:
        raise SystemExit("\n".join(p.render() for p in problems))
    sets = labelled()
    texts = [c.text for cases in sets.values() for c in cases]
    report: dict[str, object] = {"shipped_check_threshold": lexicon.nlu.check_threshold}
    for model in args.models:
        with RasaServer(project, model.resolve()) as server:
            server.wait_ready()
            parses = parse_all(texts, server.url, server.token)
        report[model.name] = {
            "reliability": {name: reliability(cases, parses) for name, cases in sets.items()},
            "screen": screen_figures(sets, lexicon, parses),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
