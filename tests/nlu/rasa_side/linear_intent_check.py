"""Checks of nlu/wegwijs_nlu/linear_intent.py, run by the Rasa venv's Python (Python 3.10).

tests/nlu/test_rasa_project.py runs this file with nlu/.venv/bin/python: the component
imports Rasa, which the bot's own environment does not have. Exit code 0 means all passed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from wegwijs_nlu import calibration
from wegwijs_nlu.linear_intent import LinearIntentClassifier

WORDS = ["hallo", "hey", "dood", "leven", "school", "stoppen"]
PATTERNS = ["crisis"]


def message(text: str, intent: str | None = None, pattern: bool = False) -> Message:
    """A message with the sentence features two featurizers would give it."""
    counts = np.array([[text.split().count(w) for w in WORDS]], dtype=float)
    built = Message.build(text=text, intent=intent) if intent else Message.build(text=text)
    built.add_features(Features(sp.coo_matrix(counts), "sentence", TEXT, "run_Counts1"))
    flag = np.array([[1.0 if pattern else 0.0]])
    built.add_features(Features(sp.coo_matrix(flag), "sentence", TEXT, "patterns"))
    # Sequence features must be ignored.
    built.add_features(Features(sp.coo_matrix(np.ones((1, 3))), "sequence", TEXT, "run_Counts1"))
    return built


TRAINING = [
    ("hallo", "greet"),
    ("hey", "greet"),
    ("hallo hey", "greet"),
    ("hey hey", "greet"),
    ("school stoppen", "want_to_quit_school"),
    ("stoppen", "want_to_quit_school"),
    ("school", "want_to_quit_school"),
    ("school school stoppen", "want_to_quit_school"),
    ("dood", "crisis"),
    ("leven stoppen", "crisis"),
    ("dood leven", "crisis"),
]


def component(storage: LocalModelStorage, config: dict) -> LinearIntentClassifier:
    context = ExecutionContext(GraphSchema({}), "test")
    return LinearIntentClassifier.create(
        {**LinearIntentClassifier.get_default_config(), **config},
        storage,
        Resource("linear_intent"),
        context,
    )


def ranking(classifier: LinearIntentClassifier, text: str, pattern: bool = False) -> list[dict]:
    processed = classifier.process([message(text, pattern=pattern)])[0]
    return processed.get("intent_ranking")


def check_temperature_fit() -> None:
    """Labels drawn from softmax(z): scores given five times too sharp are scaled back."""
    random = np.random.default_rng(7)
    logits = random.normal(size=(4000, 5)) * 2.0
    probabilities = calibration.softmax(logits, 1.0)
    labels = np.array([random.choice(5, p=row) for row in probabilities])
    fitted = calibration.fit_temperature(logits * 5.0, labels)
    assert 0.17 < fitted < 0.23, fitted
    over = calibration.reliability(logits * 5.0, labels, 1.0, ["a", "b", "c", "d", "e"], "a")
    fit = calibration.reliability(logits * 5.0, labels, fitted, ["a", "b", "c", "d", "e"], "a")
    assert over["mean_confidence"] > over["accuracy"] + 0.1, over
    assert fit["ece"] < 0.03 < over["ece"], (fit, over)
    assert over["accuracy"] == fit["accuracy"]


def main() -> None:
    config = {"pattern_featurizers": ["patterns"], "pattern_weight": 1.0, "temperature": 5.0}
    with tempfile.TemporaryDirectory() as tmp:
        storage = LocalModelStorage(Path(tmp))
        data = TrainingData(
            [message(t, i, pattern=(i == "crisis" and "dood" in t)) for t, i in TRAINING]
        )
        trained = component(storage, config)
        trained.train(data)
        context = ExecutionContext(GraphSchema({}), "test")
        loaded = LinearIntentClassifier.load(
            {**LinearIntentClassifier.get_default_config(), **config},
            storage,
            Resource("linear_intent"),
            context,
        )
        for classifier in (trained, loaded):
            assert ranking(classifier, "hallo hey")[0]["name"] == "greet"
            assert ranking(classifier, "school stoppen")[0]["name"] == "want_to_quit_school"
            assert ranking(classifier, "dood", pattern=True)[0]["name"] == "crisis"
            result = ranking(classifier, "hallo")
            total = sum(item["confidence"] for item in result)
            assert abs(total - 1.0) < 1e-6, total
            assert result == sorted(result, key=lambda item: -item["confidence"])
        # The loaded model gives the same confidences as the trained one.
        first = ranking(trained, "leven school")
        again = ranking(loaded, "leven school")
        assert [i["name"] for i in first] == [i["name"] for i in again]
        assert np.allclose([i["confidence"] for i in first], [i["confidence"] for i in again])
        # A bias moves a close call towards its label, and raises its confidence.
        biased = component(storage, {**config, "label_bias": {"crisis": 2.0}})
        biased._model = loaded._model
        plain_crisis = next(i for i in ranking(loaded, "leven school") if i["name"] == "crisis")
        assert ranking(biased, "leven school")[0]["name"] == "crisis"
        assert ranking(biased, "leven school")[0]["confidence"] > plain_crisis["confidence"]
        # A message without features (empty text) still gets a ranking, not an error.
        empty = loaded.process([Message.build(text="")])[0]
        assert empty.get(INTENT)["name"] in {"greet", "want_to_quit_school", "crisis"}
        # Calibration: the temperature is fitted on held-out folds and kept with the model; the
        # ranking stays that of the same model without calibration, only confidences change.
        (Path(tmp) / "calibrated").mkdir()
        storage_c = LocalModelStorage(Path(tmp) / "calibrated")
        calibrated = component(storage_c, {**config, "calibration_folds": 2})
        calibrated.train(data)
        figures = calibrated._model["calibration"]
        assert figures["folds"] == 2, figures
        assert figures["after"]["nll"] <= figures["before"]["nll"] + 1e-9, figures
        assert figures["before"]["temperature"] == 5.0
        assert calibrated._model["temperature"] != 5.0
        reloaded = LinearIntentClassifier.load(
            {**LinearIntentClassifier.get_default_config(), **config, "calibration_folds": 2},
            storage_c,
            Resource("linear_intent"),
            context,
        )
        for text in ("leven school", "hallo", "dood"):
            names = [i["name"] for i in ranking(trained, text)]
            assert [i["name"] for i in ranking(calibrated, text)] == names
            assert ranking(reloaded, text) == ranking(calibrated, text)
        check_temperature_fit()
        # An untrained component leaves messages alone.
        untrained = component(LocalModelStorage(Path(tmp) / "other"), config)
        assert untrained.process([Message.build(text="hallo")])[0].get(INTENT) is None
    print("linear_intent: all checks passed")


if __name__ == "__main__":
    main()
    sys.exit(0)
