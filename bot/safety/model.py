"""A tiny learned second signal for the safety screen: naive Bayes over n-grams. Pure, exact.

Features of a message are binary: character 3-5-grams inside each canonical word (with its
boundaries marked) and word unigrams and bigrams. The crisis model weighs each feature by its
log-count ratio (how much more often it occurs in crisis than in non-crisis examples, with
add-one smoothing, as in NB-SVM); a message's score is the logistic of the prior log-odds plus
the sum of its known features' weights divided by the square root of their number. A second,
multinomial naive Bayes model picks the category among crisis examples. Training is counting,
so the same examples always give the same model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType

CHAR_NGRAMS = (3, 4, 5)
SMOOTHING = 1.0  # add-one smoothing of the document counts
MIN_DOCS = 2  # a feature seen in fewer training messages is ignored (it is mostly noise)
LENGTH_WEIGHT = 0.5  # score = prior + sum of weights / n ** LENGTH_WEIGHT


def features(words: Sequence[str]) -> frozenset[str]:
    """The binary features of a sequence of canonical words."""
    found: set[str] = set()
    for word in words:
        found.add("w:" + word)
        marked = f"<{word}>"
        for n in CHAR_NGRAMS:
            for i in range(len(marked) - n + 1):
                found.add(marked[i : i + n])
    found.update(f"b:{a} {b}" for a, b in pairwise(words))
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled training message, already turned into canonical words."""

    words: tuple[str, ...]
    crisis: bool
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Prediction:
    """The model's view of one message: crisis score in [0, 1] and the likeliest category."""

    score: float
    category: str | None


@dataclass(frozen=True, slots=True)
class SafetyModel:
    """The trained weights; build it with `train`."""

    bias: float
    weights: Mapping[str, float]
    category_priors: Mapping[str, float]
    category_weights: Mapping[str, Mapping[str, float]]
    category_unknown: Mapping[str, float]
    size: int = 0

    def predict(self, words: Sequence[str]) -> Prediction:
        """Score one message given its canonical words."""
        feats = features(words)
        known = [self.weights[f] for f in feats if f in self.weights]
        total = sum(known) / len(known) ** LENGTH_WEIGHT if known else 0.0
        score = _logistic(self.bias + total)
        return Prediction(score, self._category(feats))

    def _category(self, feats: Iterable[str]) -> str | None:
        if not self.category_priors:
            return None
        best: tuple[float, str] | None = None
        for name in sorted(self.category_priors):
            weights = self.category_weights[name]
            unknown = self.category_unknown[name]
            logp = self.category_priors[name] + sum(
                weights.get(f, unknown) for f in feats if f in self.weights
            )
            if best is None or logp > best[0]:
                best = (logp, name)
        return None if best is None else best[1]


def train(examples: Iterable[Example]) -> SafetyModel:
    """Count features in the examples and turn the counts into weights (deterministic)."""
    pos: dict[str, int] = {}
    neg: dict[str, int] = {}
    per_category: dict[str, dict[str, int]] = {}
    category_docs: dict[str, int] = {}
    n_pos = n_neg = 0
    for example in examples:
        feats = features(example.words)
        if example.crisis:
            n_pos += 1
            counts = pos
            if example.category is not None:
                category_docs[example.category] = category_docs.get(example.category, 0) + 1
                cat_counts = per_category.setdefault(example.category, {})
                for f in feats:
                    cat_counts[f] = cat_counts.get(f, 0) + 1
        else:
            n_neg += 1
            counts = neg
        for f in feats:
            counts[f] = counts.get(f, 0) + 1
    vocabulary = sorted(
        f for f in pos.keys() | neg.keys() if pos.get(f, 0) + neg.get(f, 0) >= MIN_DOCS
    )
    pos_total = sum(pos.get(f, 0) for f in vocabulary) + SMOOTHING * len(vocabulary)
    neg_total = sum(neg.get(f, 0) for f in vocabulary) + SMOOTHING * len(vocabulary)
    weights = {
        f: math.log((pos.get(f, 0) + SMOOTHING) / pos_total)
        - math.log((neg.get(f, 0) + SMOOTHING) / neg_total)
        for f in vocabulary
    }
    bias = math.log((n_pos + 1) / (n_neg + 1))
    priors: dict[str, float] = {}
    cat_weights: dict[str, Mapping[str, float]] = {}
    unknown: dict[str, float] = {}
    total_docs = sum(category_docs.values())
    for name in sorted(per_category):
        counts = per_category[name]
        denominator = sum(counts.get(f, 0) for f in vocabulary) + SMOOTHING * len(vocabulary)
        priors[name] = math.log(category_docs[name] / total_docs)
        cat_weights[name] = MappingProxyType(
            {f: math.log((counts[f] + SMOOTHING) / denominator) for f in vocabulary if f in counts}
        )
        unknown[name] = math.log(SMOOTHING / denominator)
    return SafetyModel(
        bias,
        MappingProxyType(weights),
        MappingProxyType(priors),
        MappingProxyType(cat_weights),
        MappingProxyType(unknown),
        n_pos + n_neg,
    )


def _logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


__all__ = ["Example", "Prediction", "SafetyModel", "features", "train"]
