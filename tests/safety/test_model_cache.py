"""The learned model is trained once: kept per process and on disk, keyed by its examples."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.safety import lexicon as lexicon_module
from bot.safety import model_cache
from bot.safety.lexicon import LabelledExample, load
from bot.safety.model import SafetyModel
from bot.safety.screen import Lexicon
from tests.safety.test_model import TOY_EXAMPLES, toy


@pytest.fixture(autouse=True)
def empty_process_cache() -> Iterator[None]:
    model_cache.forget()
    yield
    model_cache.forget()


def trained_model(content: Path, cache: Path | None) -> SafetyModel:
    lexicon, problems = load(content, cache_dir=cache)
    assert lexicon is not None and lexicon.model is not None, problems
    return lexicon.model.model


def count_training(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the trainings (the cache must skip them)."""
    calls: list[int] = []
    real = lexicon_module.train_model

    def counting(examples: list[LabelledExample], lexicon: Lexicon) -> SafetyModel:
        calls.append(1)
        return real(examples, lexicon)

    monkeypatch.setattr(lexicon_module, "train_model", counting)
    return calls


def test_a_second_load_in_the_same_process_does_not_train_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_training(monkeypatch)
    first = trained_model(toy(tmp_path), None)
    second = trained_model(tmp_path, None)
    assert calls == [1] and second is first


def test_a_new_process_reads_the_model_from_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "content").mkdir()
    content, cache = toy(tmp_path / "content"), tmp_path / "cache"
    calls = count_training(monkeypatch)
    trained = trained_model(content, cache)
    assert len(list(cache.glob("safety-model-*.json"))) == 1
    model_cache.forget()  # as if a new process started
    read = trained_model(content, cache)
    assert calls == [1]
    assert read == trained


def test_changed_examples_are_a_new_key_and_replace_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    content = toy(tmp_path)
    calls = count_training(monkeypatch)
    trained_model(content, cache)
    old = {p.name for p in cache.glob("safety-model-*.json")}
    toy(tmp_path, TOY_EXAMPLES.replace("ik speel voetbal", "ik speel tennis"))
    trained_model(content, cache)
    new = {p.name for p in cache.glob("safety-model-*.json")}
    assert calls == [1, 1]
    assert len(new) == 1 and new != old


def test_a_damaged_or_foreign_cache_file_is_ignored_and_the_model_trained(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    content = toy(tmp_path)
    good = trained_model(content, cache)
    (path,) = cache.glob("safety-model-*.json")
    data = json.loads(path.read_text())
    foreign, malformed = {**data, "key": "other"}, {**data, "weights": 3}
    damages = ("{not json", json.dumps(foreign), json.dumps(malformed))
    for damaged in damages:
        path.write_text(damaged)
        model_cache.forget()
        with caplog.at_level(logging.WARNING):
            assert trained_model(content, cache) == good


def test_examples_with_errors_are_reported_even_when_a_model_is_cached(tmp_path: Path) -> None:
    content = toy(tmp_path)
    trained_model(content, tmp_path / "cache")
    toy(tmp_path, TOY_EXAMPLES.replace("label: none", "label: maybe", 1))
    lexicon, problems = load(content, cache_dir=tmp_path / "cache")
    assert lexicon is None and any("maybe" in p.message for p in problems)


def test_an_unwritable_cache_folder_only_costs_the_training(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    model = trained_model(toy(tmp_path), blocked / "cache")
    assert model.size > 0


def test_the_real_model_survives_the_round_trip(tmp_path: Path) -> None:
    content = Path(__file__).resolve().parents[2] / "content"
    trained = trained_model(content, tmp_path)
    model_cache.forget()
    assert trained_model(content, tmp_path) == trained
