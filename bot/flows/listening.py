"""How the bot listens (content/listening.yml): cues, reflections, small talk, passing facts.

Pure: the model, and functions that read a pupil's message against it. Loading is in
`bot.flows.listening_load`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.flows.nlu import NluResult
from bot.flows.text import normalize

MAX_AGE = 30
MIN_AGE = 10
MAX_GRADE_YEAR = 7


@dataclass(frozen=True, slots=True)
class Cue:
    """Something a message can be about: words or intents that say so, and what to answer."""

    name: str
    phrases: tuple[str, ...] = ()  # normalised
    intents: frozenset[str] = frozenset()
    say: tuple[str, ...] = ()
    ends: bool = False
    fills: Mapping[str, str] = field(default_factory=dict)  # slots this cue answers
    # all phrases as one expression, as `_has` reads them (between spaces): one search per
    # message instead of one substring test per phrase (the cues hold hundreds of phrases)
    named: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        phrases = sorted({p for p in self.phrases if p}, key=len, reverse=True)
        named = re.compile(
            r"(?<![^ ])(?:" + "|".join(map(re.escape, phrases)) + r")(?![^ ])"
        ) if phrases else None
        object.__setattr__(self, "named", named)

    def names(self, norm: str) -> bool:
        """The normalised message holds one of the phrases (as `_has` finds them)."""
        return self.named is not None and self.named.search(norm) is not None

    def heard(self, norm: str, nlu: NluResult | None, confidence: float) -> bool:
        """True when the normalised message names this cue, or the NLU says so."""
        if self.names(norm):
            return True
        return bool(
            nlu is not None and nlu.intent in self.intents and nlu.confidence >= confidence
        )


@dataclass(frozen=True, slots=True)
class Understand:
    """Words the bot recognises in any answer."""

    ordinals: Mapping[str, int] = field(default_factory=dict)
    school_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    left_school: tuple[str, ...] = ()
    numbers: Mapping[str, int] = field(default_factory=dict)
    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()
    moods: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    age_phrases: tuple[str, ...] = ()  # "ik ben {n}", "{n} jaar"
    year_words: tuple[str, ...] = ()  # words that make a bare number a school year
    grades: Mapping[int, str] = field(default_factory=dict)  # school year -> school_grade value
    units: tuple[str, ...] = ()  # "ik ben 15 dagen afwezig": a number before these is no age
    # "ik weet het niet goed", "ik snap het ni goe": a mood word right after these (with only
    # `mood_between` words in between: "ni", "zo") is no mood
    mood_not_after: tuple[str, ...] = ()
    mood_between: frozenset[str] = frozenset()
    # normalised once at load: yes, no, and each mood's words as (word, normalised word)
    yes_heard: frozenset[str] = field(init=False, repr=False, compare=False)
    no_heard: frozenset[str] = field(init=False, repr=False, compare=False)
    moods_heard: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "yes_heard", frozenset(normalize(w) for w in self.yes))
        object.__setattr__(self, "no_heard", frozenset(normalize(w) for w in self.no))
        object.__setattr__(self, "moods_heard", tuple(
            (key, tuple((w, normalize(w)) for w in words)) for key, words in self.moods.items()))


@dataclass(frozen=True, slots=True)
class Listening:
    """Everything of content/listening.yml, normalised for matching."""

    reflections: tuple[Cue, ...] = ()
    smalltalk: tuple[Cue, ...] = ()
    back_to_question: tuple[str, ...] = ()
    parent_match: tuple[str, ...] = ()
    teacher_match: tuple[str, ...] = ()
    adult_noted: str = ""
    adult_flow: str = "adult"
    adult_topics: frozenset[str] = frozenset()  # topic flows also offered to adults
    not_quitting: tuple[str, ...] = ()
    already_said: Cue = field(default_factory=lambda: Cue("already_said"))
    repeat: tuple[str, ...] = ()
    told_before: str = ""
    again_button: str = ""
    switch_offer: str = ""
    switch_yes: str = ""
    switch_no: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    noted: Mapping[str, str] = field(default_factory=dict)
    understand: Understand = field(default_factory=Understand)
    fallback_first: tuple[str, ...] = ()
    examples: Mapping[str, str] = field(default_factory=dict)
    fallback_second: str = ""
    # Slots about the pupil the bot never asks again once it has a real answer.
    remembered: frozenset[str] = frozenset()
    question_words: tuple[str, ...] = ()  # a message starting with one of these is a question
    unknown_question: tuple[str, ...] = ()  # a question nobody wrote an answer to
    heard: tuple[str, ...] = ()  # a statement the bot cannot place: acknowledged, not judged
    low_moods: frozenset[str] = frozenset()  # moods that make a free text about feeling down
    informational: frozenset[str] = frozenset()  # global flows the question bank may answer first

    def is_question(self, norm: str, raw: str) -> bool:
        """Ends with '?', or one of its clauses starts with a question word ("ze posten
        dingen over mij, wat kan ik doen")."""
        if raw.rstrip().endswith("?"):
            return True
        clauses = [normalize(part).split() for part in re.split(r"[,.;!]", raw)]
        return any(words and words[0] in self.question_words for words in clauses)

    def reflection(self, norm: str, nlu: NluResult | None, confidence: float) -> Cue | None:
        """The first reflection cue the message carries."""
        return next((c for c in self.reflections if c.say and c.heard(norm, nlu, confidence)),
                    None)

    def small_talk(self, norm: str, nlu: NluResult | None, confidence: float) -> Cue | None:
        """A small-talk cue, only when the message is little more than the small talk, or
        starts with it ("merci, ik zal het doorgeven"). A cue that ends the talk (a goodbye)
        wins when the message ends with it or the NLU says so: "ok merci, ik ga slapen. doei"
        says goodbye."""
        # every phrase test below needs the phrase in the message (`names`)
        for cue in self.smalltalk:
            if cue.ends and ((cue.names(norm) and any(_ends(norm, p) for p in cue.phrases)) or (
                    nlu is not None and nlu.intent in cue.intents
                    and nlu.confidence >= confidence
                    and len(norm.split()) <= 2 * SMALL_TALK_WORDS)):
                return cue
        for cue in self.smalltalk:
            if cue.names(norm) and any(
                    _short_match(norm, phrase) or _starts(norm, phrase) for phrase in cue.phrases):
                return cue
            if nlu is not None and nlu.intent in cue.intents and nlu.confidence >= confidence \
                    and len(norm.split()) <= SMALL_TALK_WORDS:
                return cue
        return None

    def adult(self, norm: str) -> str | None:
        """'parent' or 'teacher' when the writer speaks of a young person as an adult."""
        if any(_has(norm, p) for p in self.parent_match):
            return "parent"
        if any(_has(norm, p) for p in self.teacher_match):
            return "teacher"
        return None

    def says_not_quitting(self, norm: str) -> bool:
        return any(_has(norm, p) for p in self.not_quitting)

    def asks_repeat(self, norm: str) -> bool:
        return any(_short_match(norm, p) for p in self.repeat)


SMALL_TALK_WORDS = 6
_ORDINAL = re.compile(r"(?<![\d])([1-7])\s?(?:ste|de|e|st|d)(?![a-z])")


def _has(norm: str, phrase: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {norm} "


def _starts(norm: str, phrase: str) -> bool:
    """The message opens with the phrase, followed by more (at least two more words)."""
    return len(phrase.split()) >= 1 and f"{norm} ".startswith(f"{phrase} ") and len(
        norm.split()) >= len(phrase.split()) + 2 and len(phrase) >= MIN_OPENING


MIN_OPENING = 4  # "ok", "k" or "top" opening a sentence is no small talk; "merci" is


def _ends(norm: str, phrase: str) -> bool:
    """The message closes with the phrase, after more words ("ik ga slapen, doei")."""
    return len(phrase) >= MIN_OPENING and f" {norm}".endswith(f" {phrase}") and len(
        norm.split()) > len(phrase.split())


def _short_match(norm: str, phrase: str) -> bool:
    """The phrase is (nearly) the whole message: at most two words around it."""
    if not _has(norm, phrase):
        return False
    return len(norm.split()) <= len(phrase.split()) + 2


def school_year(understand: Understand, norm: str) -> int | None:
    """A year of secondary school: "5de", "5e jaar", "vijfde", "in het 4de"."""
    found = _ORDINAL.search(norm)
    if found:
        return int(found.group(1))
    for word in norm.split():
        year = understand.ordinals.get(word)
        if year is not None and 1 <= year <= MAX_GRADE_YEAR:
            return year
    return None


def passing_facts(understand: Understand, norm: str, bare_age: bool = True) -> dict[str, Any]:
    """Facts about the pupil given in passing: age, year, school type, left school. With
    `bare_age`, a message that is only a number from 10 to 30 is an age."""
    facts: dict[str, Any] = {}
    age = _age(understand, norm)
    if age is None and bare_age and norm.isdigit() and MIN_AGE <= int(norm) <= MAX_AGE:
        age = int(norm)  # a bare number the question did not take: an age
    if age is not None:
        facts["age"] = age
    if any(_has(norm, p) for p in understand.left_school):
        facts["school_grade"] = "left"
    else:
        year = school_year(understand, norm) if _ORDINAL.search(norm) or _mentions_year(
            understand, norm) else None
        if year is not None:
            facts["school_year"] = year
            if year in understand.grades:
                facts["school_grade"] = understand.grades[year]
    for kind, words in understand.school_types.items():
        if any(_has(norm, w) for w in words):
            facts["school_type"] = kind
            break
    return facts


def _mentions_year(understand: Understand, norm: str) -> bool:
    words = norm.split()
    return any(word in words for word in understand.year_words)


def _age(understand: Understand, norm: str) -> int | None:
    """An age said as such: "ik ben 19", "19 jaar", "ik ben zestien"."""
    for phrase in understand.age_phrases:
        pattern = phrase.replace("{n}", r"(\w+)")
        found = re.search(rf"(?:^| ){pattern}(?: (\w+)|$)", norm)
        if not found or (found.lastindex == 2 and found.group(2) in understand.units):
            continue
        value = found.group(1)
        age = int(value) if value.isdigit() else understand.numbers.get(value)
        if age is not None and MIN_AGE <= age <= MAX_AGE:
            return age
    return None


def mood(understand: Understand, norm: str, raw: str) -> str | None:
    """A mood word or emoji: the key of `moods` it belongs to. The longest mood phrase in the
    message wins ("ni slecht" is okay, not "slecht"; "heel slecht" is very bad); on a tie the
    key listed first. A phrase right after one of `mood_not_after` does not count: "ik weet
    het niet goed" says nothing about a mood."""
    best: tuple[int, str] | None = None
    padded = f" {norm} "
    for key, words in understand.moods_heard:
        for word, plain in words:
            if plain:
                size = len(plain) if _mood_at(understand, padded, plain) else 0
            else:
                size = len(word) if word in raw else 0
            if size and (best is None or size > best[0]):
                best = (size, key)
    return best[1] if best is not None else None


def _mood_at(understand: Understand, padded: str, plain: str) -> bool:
    """The phrase occurs in the padded message at least once not right after a `not_after`."""
    needle = f" {plain} "
    start = padded.find(needle)
    while start >= 0:
        before = padded[:start].split()
        while before and before[-1] in understand.mood_between:
            before.pop()
        text = f" {' '.join(before)} "
        if not any(text.endswith(f" {w} ") for w in understand.mood_not_after):
            return True
        start = padded.find(needle, start + 1)
    return False
