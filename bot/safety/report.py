"""`wegwijs safety report`: recall and false positives of the safety screen on labelled sets.

Over 400 lines: the labelled, blind and everyday sets, with and without Rasa, and the
leave-one-set-out cross-validation are one report with one table format.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.flows.nlu import NluResult
from bot.infra.rasa import RasaNluClient
from bot.safety.lexicon import (
    NLU_SET,
    LabelledExample,
    load,
    train_model,
    training_examples,
)
from bot.safety.screen import Lexicon, ModelSignal, Verdict, screen

DEFAULT_SETS = (
    "labelled.yml",
    "heldout.yml",
    "heldout2.yml",
    "redteam.yml",
    "redteam2.yml",
    "redteam3.yml",
    "redteam4.yml",
    "redteam5.yml",
    "heldout5.yml",
    "everyday.yml",
    "blind/heldout6.yml",
    "blind/heldout7.yml",
)
FALSE_CRISIS_TARGET = 0.01  # crisis replies on everyday lines
CHECK_TARGET = 0.05  # check questions on everyday lines


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled message: what level and categories a fitting verdict has."""

    id: str
    text: str
    expect: str
    categories: tuple[str, ...] = ()


@dataclass
class Score:
    """Results of one labelled set."""

    name: str
    crisis_total: dict[str, int] = field(default_factory=dict)
    crisis_missed: dict[str, list[str]] = field(default_factory=dict)
    crisis_checked: int = 0
    wrong_category: list[str] = field(default_factory=list)
    check_total: int = 0
    check_missed: list[str] = field(default_factory=list)
    safe_total: int = 0
    false_crisis: list[str] = field(default_factory=list)
    safe_checked: list[str] = field(default_factory=list)
    miner: list[tuple[str, str, str]] = field(default_factory=list)
    microseconds: float = 0.0

    @property
    def recall(self) -> float:
        """Crisis messages that got the crisis reply."""
        total = sum(self.crisis_total.values())
        missed = sum(len(v) for v in self.crisis_missed.values())
        return 1.0 if total == 0 else (total - missed) / total

    @property
    def crisis_or_check(self) -> float:
        """Crisis messages that got the crisis reply or the check question."""
        total = sum(self.crisis_total.values())
        missed = sum(len(v) for v in self.crisis_missed.values()) - self.crisis_checked
        return 1.0 if total == 0 else (total - missed) / total

    @property
    def check_rate(self) -> float:
        """Non-crisis messages that got the check question."""
        return 0.0 if self.safe_total == 0 else len(self.safe_checked) / self.safe_total

    @property
    def false_positive_rate(self) -> float:
        """Non-crisis messages that got the crisis reply."""
        return 0.0 if self.safe_total == 0 else len(self.false_crisis) / self.safe_total


def read_cases(path: Path) -> Iterator[Case]:
    """Read a labelled file (sections crisis, check, non_crisis, miner)."""
    data: Mapping[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for category, items in (data.get("crisis") or {}).items():
        for item in items:
            yield Case(item["id"], str(item["text"]), "crisis", (category, *item.get("also", ())))
    for item in data.get("check") or ():
        yield Case(item["id"], str(item["text"]), "check")
    for item in [*(data.get("non_crisis") or ()), *(data.get("everyday") or ())]:
        yield Case(item["id"], str(item["text"]), "none")
    for item in data.get("miner") or ():
        category = item.get("category")
        yield Case(
            item["id"], str(item["text"]), "miner:" + item["level"], (category,) if category else ()
        )


def screen_as_served(text: str, lexicon: Lexicon, nlu: NluResult | None) -> Verdict:
    """The verdict the conversation service reaches: rules first, the NLU when not a crisis."""
    verdict = screen(text, lexicon)
    if nlu is None or verdict.level == "crisis":
        return verdict
    return screen(text, lexicon, nlu)


def parse_all(texts: list[str], url: str, token: str | None) -> dict[str, NluResult]:
    """Rasa's parse of every text (a text Rasa does not answer is left out)."""

    async def run() -> dict[str, NluResult]:
        client = RasaNluClient(url, token, timeout=30.0, failure_threshold=1_000_000)
        try:
            found = {}
            for text in dict.fromkeys(texts):
                result = await client.parse(text)
                if result is not None:
                    found[text] = result
            return found
        finally:
            await client.aclose()

    return asyncio.run(run())


def evaluate(
    name: str,
    cases: list[Case],
    lexicon: Lexicon,
    parses: Mapping[str, NluResult] | None = None,
) -> Score:
    """Screen every case (with the NLU's parse when given) and collect the figures."""
    score = Score(name)
    started = time.perf_counter()
    verdicts = [screen_as_served(c.text, lexicon, (parses or {}).get(c.text)) for c in cases]
    score.microseconds = (time.perf_counter() - started) / max(1, len(cases)) * 1e6
    for case, verdict in zip(cases, verdicts, strict=True):
        _tally(score, case, verdict)
    return score


def _tally(score: Score, case: Case, verdict: Verdict) -> None:
    if case.expect == "crisis":
        category = case.categories[0]
        score.crisis_total[category] = score.crisis_total.get(category, 0) + 1
        if verdict.level != "crisis":
            score.crisis_missed.setdefault(category, []).append(case.id)
            score.crisis_checked += verdict.level == "check"
        elif verdict.category not in case.categories:
            score.wrong_category.append(f"{case.id}->{verdict.category}")
    elif case.expect == "check":
        score.check_total += 1
        if verdict.level == "none":
            score.check_missed.append(case.id)
    elif case.expect == "none":
        score.safe_total += 1
        if verdict.level == "crisis":
            score.false_crisis.append(case.id)
        elif verdict.level == "check":
            score.safe_checked.append(case.id)
    else:
        expected = case.expect.removeprefix("miner:")
        fits = verdict.level == expected and (
            not case.categories or verdict.category in case.categories
        )
        got = f"{verdict.level}/{verdict.category or '-'}"
        score.miner.append((case.id, got, "fits" if fits else f"EXPECTED {expected}"))


def render(score: Score, texts: Mapping[str, str]) -> str:
    """The report of one set as plain text."""
    lines = [f"== {score.name}"]
    for category, total in sorted(score.crisis_total.items()):
        missed = score.crisis_missed.get(category, [])
        lines.append(
            f"  recall {category}: {total - len(missed)}/{total}"
            f" ({(total - len(missed)) / total:.1%})"
        )
    lines.append(f"  recall all crisis: {score.recall:.1%}")
    if score.crisis_total:
        lines.append(f"  crisis reply or check question: {score.crisis_or_check:.1%}")
    for ids in score.crisis_missed.values():
        lines += [f"    missed {i}: {texts[i]}" for i in ids]
    if score.wrong_category:
        lines.append("  other category than labelled: " + ", ".join(score.wrong_category))
    if score.check_total:
        lines.append(
            f"  ambiguous lines asked or answered: "
            f"{score.check_total - len(score.check_missed)}/{score.check_total}"
        )
        lines += [f"    ignored {i}: {texts[i]}" for i in score.check_missed]
    if score.safe_total:
        lines.append(
            f"  false positives (crisis reply on non-crisis): {len(score.false_crisis)}/"
            f"{score.safe_total} ({score.false_positive_rate:.1%})"
        )
        lines += [f"    false crisis {i}: {texts[i]}" for i in score.false_crisis]
        lines.append(
            f"  non-crisis that got a check question: {len(score.safe_checked)}/"
            f"{score.safe_total} ({score.check_rate:.1%}): "
            + ", ".join(score.safe_checked)
        )
    for case_id, got, fits in score.miner:
        lines.append(f"  miner {case_id} '{texts[case_id]}': {got} {fits}")
    lines.append(f"  mean screen time: {score.microseconds:.0f} µs per message")
    return "\n".join(lines)


def first_run_note(path: Path) -> list[str]:
    """The header comment of a held-out file that records its first, untuned figures."""
    header: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append("  " + line.lstrip("# ").rstrip())
    return header if any("FIRST RUN" in line for line in header) else []


@dataclass(frozen=True, slots=True)
class FoldScore:
    """Leave-one-set-out figures of one set: rules only and rules plus the model it never saw."""

    name: str
    crisis: int
    safe: int
    rules_recall: float
    model_recall: float
    rules_false_crisis: float
    model_false_crisis: float
    rules_checked: float
    model_checked: float
    first_run: str


ALWAYS_TRAINED = frozenset({"editors", NLU_SET})  # never held out: no labelled test set
_FIRST_RUN = re.compile(r"crisis\s+recall\s+(\d+/\d+\s*=\s*[\d.]+%)")


def cross_validate(content_dir: Path, lexicon: Lexicon, sets_dir: Path) -> list[FoldScore]:
    """Train on every set but one and screen the one left out, for each set of the examples."""
    if lexicon.model is None:
        return []
    examples = training_examples(content_dir)
    rules_only = dataclasses.replace(lexicon, model=None)
    names = sorted({e.set_name for e in examples} - ALWAYS_TRAINED)
    scores = []
    for name in names:
        held = [e for e in examples if e.set_name == name]
        model = train_model([e for e in examples if e.set_name != name], lexicon)
        fold = dataclasses.replace(lexicon, model=ModelSignal(model, *_thresholds(lexicon)))
        scores.append(_fold_score(name, held, rules_only, fold, sets_dir / f"{name}.yml"))
    return scores


def _thresholds(lexicon: Lexicon) -> tuple[float, float]:
    assert lexicon.model is not None
    return lexicon.model.check_threshold, lexicon.model.crisis_threshold


def _fold_score(
    name: str, held: list[LabelledExample], rules_only: Lexicon, fold: Lexicon, path: Path
) -> FoldScore:
    crisis = [e for e in held if e.label == "crisis"]
    safe = [e for e in held if e.label == "none"]

    def rates(lexicon: Lexicon) -> tuple[float, float, float]:
        caught = sum(screen(e.text, lexicon).level == "crisis" for e in crisis)
        levels = [screen(e.text, lexicon).level for e in safe]
        return (
            caught / max(1, len(crisis)),
            levels.count("crisis") / max(1, len(safe)),
            levels.count("check") / max(1, len(safe)),
        )

    rules, both = rates(rules_only), rates(fold)
    found = _FIRST_RUN.search(" ".join(first_run_note(path))) if path.exists() else None
    return FoldScore(
        name,
        len(crisis),
        len(safe),
        rules[0],
        both[0],
        rules[1],
        both[1],
        rules[2],
        both[2],
        found.group(1).replace(" ", "") if found else "-",
    )


def render_cv(scores: list[FoldScore]) -> str:
    """The leave-one-set-out table as plain text."""
    lines = [
        "Leave-one-set-out: the model is trained on every other set and screens this one.",
        "The RULES were tuned on every set, so 'rules' recall is not a first-sight figure;",
        "'first run' is the rules' recorded recall when the set was new (its header).",
        f"{'set':<10} {'crisis':>6} {'safe':>5} {'first run':>16} | {'rules':>6} {'+model':>6} |"
        f" {'false crisis':>13} | {'extra check':>12}",
    ]
    for s in scores:
        lines.append(
            f"{s.name:<10} {s.crisis:>6} {s.safe:>5} {s.first_run:>16} |"
            f" {s.rules_recall:>6.1%} {s.model_recall:>6.1%} |"
            f" {s.rules_false_crisis:>5.1%} {s.model_false_crisis:>6.1%} |"
            f" {s.rules_checked:>5.1%} {s.model_checked:>5.1%}"
        )
    if scores:
        n = len(scores)
        lines.append(
            f"{'mean':<10} {'':>6} {'':>5} {'':>16} |"
            f" {sum(s.rules_recall for s in scores) / n:>6.1%}"
            f" {sum(s.model_recall for s in scores) / n:>6.1%} |"
            f" {sum(s.rules_false_crisis for s in scores) / n:>5.1%}"
            f" {sum(s.model_false_crisis for s in scores) / n:>6.1%} |"
            f" {sum(s.rules_checked for s in scores) / n:>5.1%}"
            f" {sum(s.model_checked for s in scores) / n:>5.1%}"
        )
    return "\n".join(lines)


def model_only_recall(content_dir: Path, lexicon: Lexicon) -> dict[str, tuple[float, float]]:
    """Per set: recall and false crisis rate of the model ALONE at the crisis threshold (LOSO)."""
    if lexicon.model is None:
        return {}
    examples = training_examples(content_dir)
    words = lexicon.normaliser.words
    threshold = lexicon.model.crisis_threshold
    result = {}
    for name in sorted({e.set_name for e in examples} - ALWAYS_TRAINED):
        model = train_model([e for e in examples if e.set_name != name], lexicon)
        held = [e for e in examples if e.set_name == name and e.label != "check"]
        hits = [(e, model.predict(words(e.text)).score >= threshold) for e in held]
        crisis = [hit for e, hit in hits if e.label == "crisis"]
        safe = [hit for e, hit in hits if e.label == "none"]
        result[name] = (sum(crisis) / max(1, len(crisis)), sum(safe) / max(1, len(safe)))
    return result


def main(argv: list[str] | None = None, rasa_token: str | None = None) -> int:
    """Print the figures for the labelled, everyday and blind sets; exit 1 below the targets."""
    parser = argparse.ArgumentParser(prog="wegwijs safety report", description=__doc__)
    parser.add_argument("sets", nargs="*", type=Path, help="labelled YAML files")
    parser.add_argument("--content", type=Path, required=True, help="the content folder")
    parser.add_argument("--sets-dir", type=Path, required=True, help="the labelled sets' folder")
    parser.add_argument(
        "--cv", action="store_true", help="leave-one-set-out figures of the learned model"
    )
    parser.add_argument("--rasa-url", default=None, help="also screen with Rasa's parse")
    args = parser.parse_args(argv)
    lexicon, problems = load(args.content)
    if lexicon is None:
        print("\n".join(p.render() for p in problems), file=sys.stderr)
        return 1
    if args.cv:
        scores = cross_validate(args.content, lexicon, args.sets_dir)
        print(render_cv(scores) if scores else "no model: safety.yml has no `model:` section")
        alone = model_only_recall(args.content, lexicon)
        for name, (recall, false_crisis) in alone.items():
            print(f"  model alone {name}: recall {recall:.1%}, false crisis {false_crisis:.1%}")
        return 0 if scores else 1
    paths = args.sets or [args.sets_dir / p for p in DEFAULT_SETS]
    sets = {path: list(read_cases(path)) for path in paths if path.exists()}
    parses: dict[str, NluResult] | None = None
    if args.rasa_url:
        parses = parse_all([c.text for cases in sets.values() for c in cases],
                           args.rasa_url, rasa_token)
        print(f"(with Rasa at {args.rasa_url}: {len(parses)} texts parsed)")
    ok = True
    summary = []
    for path, cases in sets.items():
        score = evaluate(path.name, cases, lexicon, parses)
        print(render(score, {c.id: c.text for c in cases}))
        print("\n".join(first_run_note(path)))
        summary.append(_summary_line(score))
        ok = ok and score.recall == 1.0 if "blind" not in path.parts else ok
        if path.name == "everyday.yml":
            ok = ok and score.false_positive_rate <= FALSE_CRISIS_TARGET
            ok = ok and score.check_rate <= CHECK_TARGET
        elif "blind" not in path.parts:
            ok = ok and score.false_positive_rate <= 0.03
    print("\n== summary (" + ("with Rasa" if parses is not None else "without Rasa") + ")")
    print("\n".join(summary))
    return 0 if ok else 1


def _summary_line(score: Score) -> str:
    crisis = sum(score.crisis_total.values())
    parts = [f"{score.name:<20} crisis {crisis:>4} non-crisis {score.safe_total:>4}"]
    if crisis:
        parts.append(f"recall {score.recall:6.1%} crisis-or-check {score.crisis_or_check:6.1%}")
    if score.safe_total:
        parts.append(
            f"false crisis {score.false_positive_rate:5.1%} check {score.check_rate:5.1%}"
        )
    return " | ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
