"""The question bank (content/answers/*.yml): answers written by people, found by retrieval.

A pupil's question is compared with each entry's example questions: tf-idf weighted words, word
pairs and character n-grams, cosine similarity with the centroid of the entry's examples (in
cross-validation on the bank, centroids beat the nearest example, and matched a linear SVM).
An answer is given only above a threshold and with a margin over the best other entry: a wrong
answer is worse than none. Pure: building the index and matching do no I/O.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from bot.flows.model import BankAnswer
from bot.flows.text import normalize

THRESHOLD = 0.5
MARGIN = 0.15
CHAR_WEIGHT = 1.0
NGRAMS = (3, 4, 5)
NEAREST = 0.0


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A button under an answer: into a flow, or a check of one route against the pupil."""

    title: str
    flow: str | None = None
    route: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerEntry:
    """One question-bank entry."""

    id: str
    family: str
    examples: tuple[str, ...]
    answer: tuple[str, ...]
    follow_up: tuple[FollowUp, ...] = ()
    sources: tuple[str, ...] = ()
    reviewed: str = ""
    file: str = ""
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """The entry that answers a question, how sure, and the best other entry's score."""

    entry: AnswerEntry
    score: float
    runner_up: float


Vector = dict[str, float]


def words(text: str, spelling: Mapping[str, str] | None = None) -> list[str]:
    """The normalised words, each written as the spelling map says (ni -> niet, kzen -> ik ben)."""
    found = normalize(text).split()
    if not spelling:
        return found
    return [part for word in found for part in spelling.get(word, word).split()]


def features(text: str, spelling: Mapping[str, str] | None = None) -> Counter[str]:
    """Words, word pairs and character n-grams of the normalised text."""
    found_words = words(text, spelling)
    found: Counter[str] = Counter(f"w:{w}" for w in found_words)
    found.update(f"b:{a}_{b}" for a, b in pairwise(found_words))
    for word in found_words:
        padded = f" {word} "
        for size in NGRAMS:
            found.update(f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1))
    return found


@dataclass(slots=True)
class QuestionBank:
    """All entries and inverted indexes over their example questions and their centroids."""

    entries: Mapping[str, AnswerEntry]
    threshold: float = THRESHOLD
    margin: float = MARGIN
    spelling: Mapping[str, str] = field(default_factory=dict)
    nearest: float = NEAREST
    _idf: dict[str, float] = field(default_factory=dict, repr=False)
    _index: dict[str, list[tuple[int, float]]] = field(default_factory=dict, repr=False)
    _examples: dict[str, list[tuple[int, float]]] = field(default_factory=dict, repr=False)
    _example_owner: list[int] = field(default_factory=list, repr=False)
    _owner: list[str] = field(default_factory=list, repr=False)
    _exact: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._exact = {normalize(q): e.id for e in self.entries.values() for q in e.examples}
        counted = {
            e.id: [features(q, self.spelling) for q in e.examples] for e in self.entries.values()
        }
        documents: Counter[str] = Counter()
        for found in (f for group in counted.values() for f in group):
            documents.update(found.keys())
        total = sum(len(group) for group in counted.values()) or 1
        self._idf = {f: math.log((1 + total) / (1 + n)) + 1.0 for f, n in documents.items()}
        index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        examples: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for number, (entry_id, group) in enumerate(counted.items()):
            centroid: dict[str, float] = defaultdict(float)
            for found in group:
                vector = self._vector(found)
                for feature, weight in vector.items():
                    centroid[feature] += weight
                    if self.nearest:  # the per-example index is only read then (~14 MiB)
                        examples[feature].append((len(self._example_owner), weight))
                if self.nearest:
                    self._example_owner.append(number)
            for feature, weight in _unit(centroid).items():
                index[feature].append((number, weight))
            self._owner.append(entry_id)
        self._index = dict(index)
        self._examples = dict(examples)

    def _vector(self, found: Mapping[str, int]) -> Vector:
        return _unit(
            {
                f: (1 + math.log(n)) * self._idf.get(f, 0.0) * (CHAR_WEIGHT if f[0] == "c" else 1.0)
                for f, n in found.items()
            }
        )

    def scores(self, text: str) -> list[tuple[str, float]]:
        """Every entry with its similarity to the text, best first: the cosine with the centroid
        of its examples, mixed with the cosine with its nearest example."""
        vector = self._vector(features(text, self.spelling))
        sums: dict[int, float] = defaultdict(float)
        for feature, weight in vector.items():
            for number, other in self._index.get(feature, ()):
                sums[number] += weight * other
        if self.nearest:
            near: dict[int, float] = defaultdict(float)
            for feature, weight in vector.items():
                for example, other in self._examples.get(feature, ()):
                    near[example] += weight * other
            best: dict[int, float] = defaultdict(float)
            for example, value in near.items():
                owner = self._example_owner[example]
                best[owner] = max(best[owner], value)
            sums = {
                n: (1 - self.nearest) * sums.get(n, 0.0) + self.nearest * best.get(n, 0.0)
                for n in sums.keys() | best.keys()
            }
        return sorted(((self._owner[n], s) for n, s in sums.items()), key=lambda kv: -kv[1])

    def match(self, text: str, threshold: float | None = None) -> Match | None:
        """The entry that answers the text, or None when no entry is sure enough. A question
        that is one of an entry's examples, word for word, gets that entry."""
        exact = self._exact.get(normalize(text))
        if exact is not None:
            return Match(self.entries[exact], 1.0, 0.0)
        ranked = self.scores(text)
        if not ranked:
            return None
        (entry_id, score), runner_up = ranked[0], ranked[1][1] if len(ranked) > 1 else 0.0
        if score < (self.threshold if threshold is None else threshold):
            return None
        if score - runner_up < self.margin:
            return None
        return Match(self.entries[entry_id], score, runner_up)

    def rebuilt(self, entries: Iterable[AnswerEntry]) -> QuestionBank:
        """The same bank (threshold, margin) over other entries: for cross-validation."""
        return QuestionBank(
            {e.id: e for e in entries}, self.threshold, self.margin, self.spelling, self.nearest
        )

    def answer(self, text: str) -> BankAnswer | None:
        """The bank's answer to a pupil's question, as the engine shows it."""
        found = self.match(text)
        if found is None:
            return None
        entry = found.entry
        return BankAnswer(
            entry.id,
            entry.answer,
            tuple(
                (b.title, f"!route:{b.route}" if b.route else f"!flow:{b.flow}")
                for b in entry.follow_up
            ),
        )


def _unit(vector: Mapping[str, float]) -> Vector:
    length = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {f: v / length for f, v in vector.items() if v}


def bank(entries: Iterable[AnswerEntry], spelling: Mapping[str, str] | None = None
         ) -> QuestionBank:
    """Build the bank (and its index) from entries and the spelling map."""
    return QuestionBank({e.id: e for e in entries}, spelling=dict(spelling or {}))
