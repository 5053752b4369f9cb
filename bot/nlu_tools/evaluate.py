"""Evaluate the NLU: 5-fold cross-validation plus a held-out split, summarised in reports/."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.flows.nlu import INTENTS
from bot.nlu_tools.project import NluError, NluProject
from bot.nlu_tools.train import Report, _run_with_progress, say, train

SEED = 2024
TARGETS = {"accuracy": 0.92, "macro_f1": 0.90, "crisis_recall": 0.98}


def evaluate(
    project: NluProject, *, folds: int = 5, holdout: float = 0.2, report: Report = say
) -> dict[str, Any]:
    """Run both evaluations, write summary.json, summary.md and the confusion matrix."""
    rasa = str(project.rasa())
    reports = project.reports_dir
    reports.mkdir(parents=True, exist_ok=True)
    cv_dir, holdout_dir, work = (
        reports / "cross_validation",
        reports / "holdout",
        reports / ".work",
    )
    for directory in (cv_dir, holdout_dir, work):
        shutil.rmtree(directory, ignore_errors=True)

    report(f"nlu: {folds}-fold cross-validation (about {folds * 2} minutes on 2 cores)")
    _run_with_progress(
        [
            rasa,
            "test",
            "nlu",
            "--nlu",
            "data",
            "--config",
            "config.yml",
            "--cross-validation",
            "--folds",
            str(folds),
            "--out",
            str(cv_dir),
        ],
        project.root,
        report,
    )

    report(f"nlu: held-out split ({holdout:.0%} of the examples kept for testing)")
    _run_with_progress(
        [
            rasa,
            "data",
            "split",
            "nlu",
            "--nlu",
            "data",
            "--random-seed",
            str(SEED),
            "--training-fraction",
            str(1 - holdout),
            "--out",
            str(work),
        ],
        project.root,
        report,
    )
    model = train(
        project,
        force=True,
        report=report,
        data=work / "training_data.yml",
        out=work,
        name="holdout",
    )
    _run_with_progress(
        [
            rasa,
            "test",
            "nlu",
            "--nlu",
            str(work / "test_data.yml"),
            "--model",
            str(model),
            "--out",
            str(holdout_dir),
        ],
        project.root,
        report,
    )
    shutil.rmtree(work, ignore_errors=True)

    summary = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "fingerprint": project.fingerprint(),
        "examples": count_examples(project.root / "data"),
        "targets": TARGETS,
        "cross_validation": summarize(_read(cv_dir / "intent_report.json"), folds=folds),
        "holdout": summarize(_read(holdout_dir / "intent_report.json")),
        "holdout_entities": entity_figures(holdout_dir),
    }
    matrix = cv_dir / "intent_confusion_matrix.png"
    if matrix.exists():
        shutil.copyfile(matrix, reports / "confusion_matrix.png")
    (reports / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (reports / "summary.md").write_text(markdown(summary), encoding="utf-8")
    report(f"nlu: reports written to {reports}")
    return summary


def _read(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NluError(f"rasa did not write a readable {path}: {exc}") from exc
    return data


def summarize(intent_report: dict[str, Any], folds: int | None = None) -> dict[str, Any]:
    """Reduce Rasa's intent_report.json to the figures we track."""
    per_intent = {
        name: round(float(intent_report[name]["f1-score"]), 4)
        for name in INTENTS
        if name in intent_report
    }
    crisis = intent_report.get("crisis", {})
    out_of_scope = intent_report.get("out_of_scope", {})
    result: dict[str, Any] = {
        "accuracy": round(float(intent_report.get("accuracy", 0.0)), 4),
        "macro_f1": round(float(intent_report.get("macro avg", {}).get("f1-score", 0.0)), 4),
        "weighted_f1": round(float(intent_report.get("weighted avg", {}).get("f1-score", 0.0)), 4),
        "crisis_recall": round(float(crisis.get("recall", 0.0)), 4),
        "out_of_scope_precision": round(float(out_of_scope.get("precision", 0.0)), 4),
        "per_intent_f1": per_intent,
        "fallback_predictions": int(intent_report.get("nlu_fallback", {}).get("support", 0)),
    }
    if folds:
        result["folds"] = folds
    return result


def entity_figures(out: Path) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 per entity from the entity extractor's report, if any."""
    figures: dict[str, dict[str, float]] = {}
    for report in sorted(out.glob("*Extractor_report.json")):
        for name, values in _read(report).items():
            if isinstance(values, dict) and "f1-score" in values and " avg" not in name:
                figures[name] = {
                    key: round(float(values[key]), 4) for key in ("precision", "recall", "f1-score")
                }
    return figures


def count_examples(data_dir: Path) -> dict[str, int]:
    """Number of training examples per intent."""
    counts: dict[str, int] = {}
    for path in sorted(data_dir.rglob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block:
                lines = [x for x in block["examples"].splitlines() if x.strip().startswith("- ")]
                counts[block["intent"]] = counts.get(block["intent"], 0) + len(lines)
    return counts


def markdown(summary: dict[str, Any]) -> str:
    """A short human-readable report."""
    cv, held = summary["cross_validation"], summary["holdout"]
    rows = [
        ("intent accuracy", "accuracy"),
        ("macro F1", "macro_f1"),
        ("crisis recall", "crisis_recall"),
        ("out_of_scope precision", "out_of_scope_precision"),
    ]
    lines = [
        "# NLU evaluation",
        "",
        f"Generated {summary['generated']} by `wegwijs nlu eval` for training inputs "
        f"`{summary['fingerprint']}` ({sum(summary['examples'].values())} examples).",
        "",
        f"| figure | {cv.get('folds', 5)}-fold cross-validation | held-out 20 % | target |",
        "|---|---|---|---|",
    ]
    for label, key in rows:
        target = summary["targets"].get(key)
        lines.append(
            f"| {label} | {cv[key]:.3f} | {held[key]:.3f} | "
            f"{f'≥ {target:.2f}' if target else '(reported)'} |"
        )
    lines += [
        "",
        "Per-intent F1 (cross-validation / held-out):",
        "",
        "| intent | examples | F1 CV | F1 held-out |",
        "|---|---|---|---|",
    ]
    for name in INTENTS:
        lines.append(
            f"| {name} | {summary['examples'].get(name, 0)} | "
            f"{cv['per_intent_f1'].get(name, 0.0):.3f} | "
            f"{held['per_intent_f1'].get(name, 0.0):.3f} |"
        )
    lines += ["", "Confusion matrix (cross-validation): `confusion_matrix.png`.", ""]
    return "\n".join(lines)
