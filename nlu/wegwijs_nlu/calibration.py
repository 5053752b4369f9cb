"""Temperature scaling of the intent classifier's confidences, and how reliable they are.

Why: a linear SVM's scores are margins, not probabilities. A softmax over them with a
temperature picked by hand gave confidences near 1.0 on lines the model had never seen
(hyperbole scored `crisis` 0.99), so a confidence threshold meant little. Here the temperature
is fitted on scores of held-out folds (each example scored by a model that never saw it) by
minimising the negative log-likelihood: one number, so the ranking and the predicted intent
stay the same, only the confidences change (Guo et al. 2017, "On calibration of modern neural
networks").

Figures (`reliability`): accuracy against mean top confidence, the expected calibration error
(ECE, equal-width bins of the top confidence), and for one watched intent the share of other
examples that get it at a given confidence or more.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Dict, List, Sequence

import numpy as np
from scipy.optimize import minimize_scalar

LOWEST = 0.05
HIGHEST = 50.0
BINS = 10
LEVELS = (0.5, 0.8, 0.9, 0.95, 0.98)


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of `logits * temperature`."""
    scaled = logits * temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of the true labels."""
    probabilities = softmax(logits, temperature)
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.maximum(picked, 1e-12))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in [LOWEST, HIGHEST] with the lowest negative log-likelihood."""
    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(logits, labels, float(np.exp(log_t))),
        bounds=(np.log(LOWEST), np.log(HIGHEST)),
        method="bounded",
    )
    return float(np.exp(result.x))


def reliability(
    logits: np.ndarray,
    labels: np.ndarray,
    temperature: float,
    classes: Sequence[str],
    watched: str = "crisis",
) -> Dict[str, object]:
    """Accuracy, mean confidence, ECE and NLL at this temperature; the watched intent's shares."""
    probabilities = softmax(logits, temperature)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    correct = predicted == labels
    edges = np.linspace(0.0, 1.0, BINS + 1)
    ece = 0.0
    for low, high in pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    figures: Dict[str, object] = {
        "temperature": round(float(temperature), 4),
        "accuracy": round(float(correct.mean()), 4),
        "mean_confidence": round(float(confidence.mean()), 4),
        "ece": round(float(ece), 4),
        "nll": round(negative_log_likelihood(logits, labels, temperature), 4),
        "mean_confidence_when_wrong": round(float(confidence[~correct].mean()), 4)
        if (~correct).any()
        else None,
    }
    if watched in classes:
        index = list(classes).index(watched)
        score = probabilities[:, index]
        positive = labels == index
        figures[watched] = {
            "others_at_or_above": _shares(score[~positive]),
            "own_at_or_above": _shares(score[positive]),
            "mean_on_others_predicted_as_it": round(
                float(score[~positive & (predicted == index)].mean()), 4
            )
            if (~positive & (predicted == index)).any()
            else None,
        }
    return figures


def _shares(scores: np.ndarray) -> Dict[str, float]:
    if len(scores) == 0:
        return {}
    return {str(level): round(float((scores >= level).mean()), 4) for level in LEVELS}


def label_indices(labels: List[str], classes: Sequence[str]) -> np.ndarray:
    """The index in `classes` of every label."""
    position = {name: i for i, name in enumerate(classes)}
    return np.array([position[label] for label in labels], dtype=np.int64)
