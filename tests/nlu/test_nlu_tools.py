"""The NLU tooling without Rasa: fingerprint, skip logic, progress lines, CLI parsing."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from bot.nlu_tools.cli import add_commands
from bot.nlu_tools.evaluate import entity_figures, summarize
from bot.nlu_tools.project import NluError, NluProject
from bot.nlu_tools.train import _progress, train

NLU = Path(__file__).resolve().parents[2] / "nlu"


@pytest.fixture
def project(tmp_path: Path) -> NluProject:
    root = tmp_path / "nlu"
    root.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copyfile(NLU / name, root / name)
    (root / "data").mkdir()
    (root / "data" / "greet.yml").write_text('version: "3.1"\nnlu: []\n', encoding="utf-8")
    return NluProject(root)


def test_fingerprint_changes_with_training_data_only(project: NluProject) -> None:
    before = project.fingerprint()
    (project.root / "reports").mkdir()
    (project.root / "reports" / "summary.md").write_text("x", encoding="utf-8")
    (project.root / "README.md").write_text("notes", encoding="utf-8")
    assert project.fingerprint() == before
    (project.root / "data" / "greet.yml").write_text("version: '3.1'\n", encoding="utf-8")
    assert project.fingerprint() != before


def test_fingerprint_changes_with_our_rasa_components(project: NluProject) -> None:
    components = project.root / "wegwijs_nlu"
    components.mkdir()
    (components / "classifier.py").write_text("A = 1\n", encoding="utf-8")
    before = project.fingerprint()
    (components / "classifier.py").write_text("A = 2\n", encoding="utf-8")
    assert project.fingerprint() != before


def test_train_skips_when_a_model_for_the_fingerprint_exists(project: NluProject) -> None:
    model = project.model_for(project.fingerprint())
    model.parent.mkdir()
    model.write_bytes(b"model")
    messages: list[str] = []
    assert train(project, report=messages.append) == model
    assert "skipped" in messages[0]


def test_train_without_the_nlu_venv_says_how_to_create_it(project: NluProject) -> None:
    with pytest.raises(NluError, match="make nlu-setup"):
        train(project, report=lambda _: None)


def test_progress_lines_come_from_components_and_every_tenth_epoch() -> None:
    component = (
        "2026 INFO rasa.engine.training.hooks - Starting to train component 'DIETClassifier'."
    )
    assert _progress(component) == "nlu:   DIETClassifier"
    epoch = "Epochs:  17%|█▋        | 10/60 [00:33<01:04,  1.29s/it, t_loss=2.89]"
    assert _progress(epoch) == "nlu:   DIETClassifier epoch 10/60"
    assert _progress("Epochs:  18%|█▊        | 11/60 [00:35<01:02]") is None
    assert _progress("some other line") is None


def test_serve_takes_the_command_after_double_dash() -> None:
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(["serve", "--", "wegwijs", "chat", "--jsonl"])
    assert args.command[-3:] == ["wegwijs", "chat", "--jsonl"]
    assert args.port is None


def test_summary_keeps_the_tracked_figures() -> None:
    report = {
        "accuracy": 0.95,
        "macro avg": {"f1-score": 0.93},
        "weighted avg": {"f1-score": 0.951},
        "crisis": {"precision": 1.0, "recall": 0.99, "f1-score": 0.995},
        "out_of_scope": {"precision": 0.9, "recall": 0.8, "f1-score": 0.85},
        "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0},
    }
    summary = summarize(report, folds=5)
    assert summary["crisis_recall"] == 0.99
    assert summary["out_of_scope_precision"] == 0.9
    assert summary["per_intent_f1"]["greet"] == 1.0
    assert summary["folds"] == 5


def test_entity_figures_per_entity_without_the_averages(tmp_path: Path) -> None:
    report = {
        "municipality": {"precision": 0.91, "recall": 0.97, "f1-score": 0.9391, "support": 67},
        "postcode": {"precision": 0.76, "recall": 1.0, "f1-score": 0.8667, "support": 13},
        "micro avg": {"precision": 0.88, "recall": 0.97, "f1-score": 0.92, "support": 80},
        "accuracy": 0.96,
    }
    (tmp_path / "RegexEntityExtractor_report.json").write_text(json.dumps(report))
    (tmp_path / "intent_report.json").write_text(json.dumps({"greet": {"f1-score": 1.0}}))
    figures = entity_figures(tmp_path)
    assert set(figures) == {"municipality", "postcode"}
    assert figures["postcode"] == {"precision": 0.76, "recall": 1.0, "f1-score": 0.8667}
