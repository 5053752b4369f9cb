"""The safety screen: reviewed lexicon rules first, the NLU's crisis intent second. Pure.

Every pupil text is normalised (case, accents, leetspeak, repeated letters, d/t endings,
tussentaal spellings, missing spaces, small typos) and matched against the compiled rules of
`content/safety.yml`. Harmless uses (hyperbole, games) cover spans of text that then cannot
trigger a rule; a negation near a match lowers it (usually to a check question).

When the precise rules find no crisis, the concept net runs: families of words that carry one
idea (a death wish, a means, a hit, the pupil as victim) that occur close together, in any
order, fire a net rule unless a harmless frame (a game, cooking, sport) is near.

Over 400 lines: every pass (rules, heightened memory of risk, care, the learned model, the
NLU) reads the same normalised text and returns one verdict type; they stay together until a
pass is reused elsewhere.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from bot.flows.actions import Builtin, BuiltinCall, BuiltinResult, Message
from bot.flows.nlu import NluResult
from bot.safety.model import SafetyModel
from bot.safety.text import (
    WORD,
    Normaliser,
    Tokens,
    canonical_word,
    fold,
    fuzzy_index,
    within_one_edit,
)

# `care`: no danger, but a need the bot answers with care instead of an alarm (panic, a
# physical complaint); it is only given when nothing else fires, and ranks as `none`.
Level = Literal["none", "care", "check", "crisis"]
RANK: Mapping[str, int] = MappingProxyType({"none": 0, "care": 0, "check": 1, "crisis": 2})
LONG_TEXT = 2_000  # longer canonical texts are searched in windows around anchor words
WINDOW_BEFORE = 20  # words a match can start before its anchor (optional elements), generous
WINDOW_AFTER = 60  # words a match can extend after its anchor (gaps and phrases), generous
END_OF_TEXT = "(?= $)(?= )"  # how the pattern compiler writes a pattern ending in '$'
CLAUSE_SUBJECT = "ik"  # canonical first-person subject: a negation before it ends with its clause


class Category(StrEnum):
    """What kind of crisis a message signals; each has its own reply flow `crisis_<value>`."""

    SUICIDE_SELF_HARM = "suicide_self_harm"
    VIOLENCE_ABUSE = "violence_abuse"
    ACUTE_DANGER = "acute_danger"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of the screen; `rule` is the id of the rule that fired (never the text)."""

    level: Level
    category: Category | None = None
    rule: str | None = None
    care: str | None = None  # the kind of care (panic, physical) when level is `care`


SAFE = Verdict("none")
CHECK_FLOW = "safety_check"
CARE_KINDS = ("panic", "physical")
CARE_FLOWS = tuple(f"care_{kind}" for kind in CARE_KINDS)
# The flows the safety layer starts: one reply flow per category, and the check question.
SAFETY_FLOWS = (*(f"crisis_{category}" for category in Category), CHECK_FLOW)


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled lexicon rule: a signal of one category at one level."""

    id: str
    category: Category
    level: Level
    regex: re.Pattern[str]
    negated: Level | None = "check"
    literal_words: frozenset[str] = frozenset()
    anchors: frozenset[str] | None = None
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Harmless:
    """Text that looks alarming but is not (hyperbole, games); caps the rules it overlaps."""

    id: str
    regex: re.Pattern[str]
    cap: Level = "none"
    # a denial ("ik ben niet suïcidaal"): when no rule fires, the NLU and the model are not asked
    final: bool = False


@dataclass(frozen=True, slots=True)
class Care:
    """A need for care without danger (panic, a physical complaint): its own calm reply."""

    id: str
    kind: str
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Context:
    """Words anywhere in a message (a joke marker, a game) that cap some categories."""

    id: str
    regex: re.Pattern[str]
    categories: frozenset[Category]
    cap: Level = "check"


Span = tuple[int, int]  # a word range [first, last) of a concept hit
HarmlessSpan = tuple[int, int, Level, str]  # characters [start, end), cap, harmless id


@dataclass(frozen=True, slots=True)
class Concept:
    """A family of words and short phrases that carry one idea (a death wish, a means ...)."""

    name: str
    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None
    anchors: frozenset[str] | None = frozenset()
    anchor_prefixes: tuple[str, ...] = ()

    def hits(
        self,
        tokens: Tokens,
        positions: Mapping[str, list[int]],
        starts: list[int],
        joined: str | None = None,
    ) -> list[Span]:
        """Word ranges [first, last) where a member of the family occurs, in text order."""
        found: set[Span] = set()
        # over the message's few words, not the family's many
        for word, where in positions.items():
            if word in self.words or (self.prefixes and word.startswith(self.prefixes)):
                found.update((i, i + 1) for i in where)
        if self.regex is not None and self._may_match(positions):
            text = tokens.text()[0] if joined is None else joined
            for match in self.regex.finditer(text):
                first = bisect.bisect_left(starts, match.start() + 1)
                found.add((first, max(first + 1, bisect.bisect_left(starts, match.end()))))
        return sorted(found)

    def _may_match(self, positions: Mapping[str, list[int]]) -> bool:
        if self.anchors is None:
            return True
        if not self.anchors.isdisjoint(positions.keys()):
            return True
        return bool(self.anchor_prefixes) and any(
            word.startswith(self.anchor_prefixes) for word in positions
        )


@dataclass(frozen=True, slots=True)
class NetRule:
    """A broad rule: every family in `needs` occurs within `within` words, in any order."""

    id: str
    category: Category
    level: Level
    needs: tuple[str, ...]
    within: int = 8
    unless: tuple[str, ...] = ()
    cap: Level = "none"
    negated: Level | None = "check"
    despite: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Frame:
    """A concept family (a film, a sport) that lowers matches of some categories near it."""

    family: str
    categories: frozenset[Category]
    cap: Level = "check"


@dataclass(frozen=True, slots=True)
class Helpline:
    """A help line with its source; `text` is the line the pupil reads."""

    id: str
    name: str
    number: str
    purpose: str
    hours: str
    url: str
    source: str
    reviewed: str
    text: str
    hours_verified: bool = False


@dataclass(frozen=True, slots=True)
class NluSignal:
    """How the NLU's crisis intent may raise the level.

    `check_threshold`: the NLU alone asks the check question; `crisis_threshold`: alone it gives
    the crisis reply; `confirm_threshold`: it turns a rule's check into the crisis reply (inf:
    never). `quiet_in_everyday`: where the rules see everyday language (a harmless phrase, a
    frame such as a game, a joke marker) or a need for care (panic, a physical complaint) the
    NLU does not raise at all.
    """

    intent: str = "crisis"
    check_threshold: float = 0.35
    crisis_threshold: float = 0.8
    category: Category = Category.SUICIDE_SELF_HARM
    confirm_threshold: float = math.inf
    quiet_in_everyday: bool = True


@dataclass(frozen=True, slots=True)
class ModelSignal:
    """How the learned model (trained on content/safety_examples.yml) may raise the level."""

    model: SafetyModel
    check_threshold: float = 0.8
    crisis_threshold: float = 0.95


@dataclass(frozen=True, slots=True)
class Heightened:
    """Screening after a disclosure in the same conversation: lower thresholds, unclear is crisis.

    `hours`: how long the heightened state lasts after the last disclosure;
    `alert_minutes`: at most one priority alert per pupil in this window.
    """

    hours: float = 72.0
    alert_minutes: float = 30.0
    model_check_threshold: float = 0.6
    nlu_check_threshold: float = 0.35
    ambiguous: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The compiled, immutable safety lexicon and the help lines."""

    rules: tuple[Rule, ...]
    harmless: tuple[Harmless, ...] = ()
    normaliser: Normaliser = field(default_factory=Normaliser)
    negators: frozenset[str] = frozenset()
    negation_window: int = 2
    contexts: tuple[Context, ...] = ()
    nlu: NluSignal = field(default_factory=NluSignal)
    model: ModelSignal | None = None
    priority: tuple[Category, ...] = (
        Category.ACUTE_DANGER,
        Category.SUICIDE_SELF_HARM,
        Category.VIOLENCE_ABUSE,
    )
    helplines: tuple[Helpline, ...] = ()
    helplines_intro: str = ""
    care: tuple[Care, ...] = ()
    heightened: Heightened = field(default_factory=lambda: Heightened())
    concepts: Mapping[str, Concept] = field(default_factory=dict)
    net: tuple[NetRule, ...] = ()
    frames: tuple[Frame, ...] = ()
    frame_window: int = 6
    index: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    prefixed: tuple[tuple[str, int], ...] = ()
    unanchored: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        index: dict[str, list[int]] = {}
        prefixed: list[tuple[str, int]] = []
        unanchored: list[int] = []
        for i, rule in enumerate(self.rules):
            if rule.anchors is None:
                unanchored.append(i)
                continue
            for word in rule.anchors:
                index.setdefault(word, []).append(i)
            prefixed += [(prefix, i) for prefix in rule.prefixes]
        object.__setattr__(self, "index", MappingProxyType({k: tuple(v) for k, v in index.items()}))
        object.__setattr__(self, "prefixed", tuple(prefixed))
        object.__setattr__(self, "unanchored", tuple(unanchored))

    def candidates(self, words: tuple[str, ...]) -> list[Rule]:
        """The rules that can match these words (one of their anchor words occurs), in order."""
        found = set(self.unanchored)
        for word in set(words):
            found.update(self.index.get(word, ()))
        for prefix, i in self.prefixed:
            if i not in found and any(w.startswith(prefix) for w in words):
                found.add(i)
        return [self.rules[i] for i in sorted(found)]

    def helpline(self, line_id: str) -> Helpline | None:
        """Return the help line with this id, or None."""
        return next((h for h in self.helplines if h.id == line_id), None)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A text's token variants and the rules' verdict on them: the part of the screen that
    does not depend on the NLU, made once when a message is screened before and after its
    parse. Held only while the message is handled."""

    variants: list[Tokens]
    rules: Verdict


def prepare(text: str, lexicon: Lexicon) -> Prepared:
    """Normalise `text` and run the rules and the concept net on it (see `screen`)."""
    variants = lexicon.normaliser.variants(text)
    return Prepared(variants, _rules_verdict(variants, lexicon))


def screen(
    text: str,
    lexicon: Lexicon,
    nlu: NluResult | None = None,
    *,
    heightened: bool = False,
    prepared: Prepared | None = None,
) -> Verdict:
    """Screen one pupil text: `crisis`, `check` (ask gently), `care` or `none`.

    `heightened` after a disclosure in this conversation: a check becomes a crisis, lines that
    are only unclear after a disclosure ("het heeft allemaal geen zin meer") get the crisis
    reply, and the model and the NLU raise the check at lower thresholds. `prepared`:
    `prepare(text, lexicon)` made earlier for this text and lexicon (the same verdict, less
    work).
    """
    if prepared is None:
        prepared = prepare(text, lexicon)
    variants = prepared.variants
    found = _screen(variants, lexicon, nlu, prepared.rules)
    if heightened:
        found = _heighten(found, variants, lexicon, nlu)
    if found.level == "none" and lexicon.care:
        return _with_care(found, variants, lexicon)
    return found


def _heighten(
    found: Verdict, variants: list[Tokens], lexicon: Lexicon, nlu: NluResult | None
) -> Verdict:
    if found.level == "crisis":
        return found
    if found.level == "check":
        return Verdict("crisis", found.category or Category.SUICIDE_SELF_HARM, found.rule)
    rules = lexicon.heightened
    if any(h.final and h.regex.search(t.text()[0]) for t in variants for h in lexicon.harmless):
        return found
    if any(rx.search(t.text()[0]) for t in variants for rx in rules.ambiguous):
        # the pupil already said yes to the check question (or was in crisis): asking it again
        # would not listen; a line of hopelessness now gets the crisis reply
        return Verdict("crisis", Category.SUICIDE_SELF_HARM, "heightened:ambiguous")
    if nlu is not None and nlu.score(lexicon.nlu.intent) >= rules.nlu_check_threshold:
        return Verdict("check", lexicon.nlu.category, "heightened:nlu")
    if lexicon.model is not None:
        prediction = lexicon.model.model.predict(variants[0].words)
        if prediction.category is not None and prediction.score >= rules.model_check_threshold:
            return Verdict("check", Category(prediction.category), "heightened:model")
    return found


def _with_care(found: Verdict, variants: list[Tokens], lexicon: Lexicon) -> Verdict:
    for tokens in variants:
        joined = tokens.text()[0]
        for care in lexicon.care:
            if care.regex.search(joined):
                return Verdict("care", None, f"care:{care.id}", care.kind)
    return found


def _rules_verdict(variants: list[Tokens], lexicon: Lexicon) -> Verdict:
    found = SAFE
    for i, tokens in enumerate(variants):
        # the concept net reads the text as typed: glued-word splits are for the precise rules
        found = _stronger(found, _screen_tokens(tokens, lexicon, net=i == 0), lexicon.priority)
    return found


def _screen(
    variants: list[Tokens],
    lexicon: Lexicon,
    nlu: NluResult | None = None,
    rules: Verdict | None = None,
) -> Verdict:
    found = _rules_verdict(variants, lexicon) if rules is None else rules
    if found.level == "crisis" or (nlu is None and lexicon.model is None):
        return found
    if found.level == "none" and any(
        h.final and h.regex.search(t.text()[0]) for t in variants for h in lexicon.harmless
    ):
        return found

    def harmless_seen() -> bool:
        return any(h.regex.search(t.text()[0]) for t in variants for h in lexicon.harmless)

    def everyday_seen() -> bool:
        """A harmless phrase, a frame (a game, a pillow fight, school) or a context (a joke)."""
        if harmless_seen():
            return True
        tokens = variants[0]
        joined, starts = tokens.text()
        scan = _ConceptScan(tokens, joined, starts, lexicon)
        return any(scan.hits(frame.family) for frame in lexicon.frames) or any(
            context.regex.search(joined) for context in lexicon.contexts
        )

    def care_seen() -> bool:
        """A need the rules answer with care (panic, a physical complaint): not a crisis sign."""
        return any(c.regex.search(t.text()[0]) for t in variants for c in lexicon.care)

    if nlu is not None and not (
        lexicon.nlu.quiet_in_everyday and (everyday_seen() or care_seen())
    ):
        found = _with_nlu(found, nlu, lexicon.nlu, harmless_seen())
    if lexicon.model is None:
        return found
    return _with_model(found, variants[0], lexicon.model, everyday_seen)


def _with_model(
    found: Verdict, tokens: Tokens, signal: ModelSignal, everyday_seen: Callable[[], bool]
) -> Verdict:
    """The model may raise `none`; it leaves a rule's `check` alone (it cannot see negation).

    Where the rules see everyday language (a harmless phrase such as "dood van het lachen", a
    frame such as a game or a pillow fight, a joke marker) it asks at most the check question:
    the rules know why such a message is not a crisis, the model does not.
    """
    if found.level != "none":
        return found
    prediction = signal.model.predict(tokens.words)
    if prediction.score < signal.check_threshold or prediction.category is None:
        return found
    category = Category(prediction.category)
    rule = f"model:{category}"
    if prediction.score >= signal.crisis_threshold and not everyday_seen():
        return Verdict("crisis", category, rule)
    return Verdict("check", category, rule)


def _screen_tokens(tokens: Tokens, lexicon: Lexicon, *, net: bool = True) -> Verdict:
    joined, starts = tokens.text()
    candidates = lexicon.candidates(tokens.words)
    if len(joined) <= LONG_TEXT:
        hits = [(rule, match) for rule in candidates for match in rule.regex.finditer(joined)]
    else:
        hits = list(_windowed_hits(tokens, joined, starts, candidates))
    use_net = net and bool(lexicon.net)
    if not hits and not use_net:
        return SAFE
    spans = [
        (m.start(), m.end(), h.cap, h.id)
        for h in lexicon.harmless
        for m in h.regex.finditer(joined)
    ]
    contexts = [c for c in lexicon.contexts if c.regex.search(joined)]
    scan = _ConceptScan(tokens, joined, starts, lexicon)
    found = SAFE
    for rule, match in hits:
        level = _level(rule, match, spans, tokens, starts, lexicon)
        level = _context_cap(level, rule.category, contexts)
        if level != "none" and lexicon.frames:
            first = bisect.bisect_left(starts, match.start() + 1)
            last = bisect.bisect_left(starts, match.end())
            level = _frame_cap(level, rule.category, first, last, scan, lexicon)
        if level != "none":
            found = _stronger(found, Verdict(level, rule.category, rule.id), lexicon.priority)
    if found.level != "crisis" and use_net:
        found = _stronger(found, _screen_net(scan, spans, contexts, lexicon), lexicon.priority)
    return found


def _context_cap(level: Level, category: Category, contexts: list[Context]) -> Level:
    for context in contexts:
        if category in context.categories and RANK[context.cap] < RANK[level]:
            level = context.cap
    return level


class _ConceptScan:
    """Concept hits of one token sequence, found lazily and kept for the rules that ask."""

    def __init__(self, tokens: Tokens, joined: str, starts: list[int], lexicon: Lexicon) -> None:
        self.tokens = tokens
        self.joined = joined
        self.starts = starts
        self.lexicon = lexicon
        self.positions: dict[str, list[int]] = {}
        for i, word in enumerate(tokens.words):
            self.positions.setdefault(word, []).append(i)
        self.cache: dict[str, list[Span]] = {}

    def hits(self, name: str) -> list[Span]:
        """Where the family `name` occurs."""
        if name not in self.cache:
            concept = self.lexicon.concepts.get(name)
            self.cache[name] = (
                []
                if concept is None
                else concept.hits(self.tokens, self.positions, self.starts, self.joined)
            )
        return self.cache[name]

    def near(self, name: str, first: int, last: int) -> bool:
        """True when the family occurs within the frame window of words [first, last)."""
        low, high = first - self.lexicon.frame_window, last + self.lexicon.frame_window
        return any(span[1] > low and span[0] < high for span in self.hits(name))


def _frame_cap(
    level: Level, category: Category, first: int, last: int, scan: _ConceptScan, lexicon: Lexicon
) -> Level:
    """A frame (a film, a sport, school) near a match lowers the categories it covers."""
    for frame in lexicon.frames:
        if (
            category in frame.categories
            and RANK[frame.cap] < RANK[level]
            and scan.near(frame.family, first, last)
        ):
            level = frame.cap
    return level


def _present(scan: _ConceptScan, names: Iterable[str]) -> list[list[Span]] | None:
    """The hits of every family in `names`; None at the first family that is absent."""
    groups = []
    for name in names:
        hits = scan.hits(name)
        if not hits:
            return None
        groups.append(hits)
    return groups


def _screen_net(
    scan: _ConceptScan,
    spans: list[HarmlessSpan],
    contexts: list[Context],
    lexicon: Lexicon,
) -> Verdict:
    """The concept net: families close together, unless a harmless frame or span is near."""
    found = SAFE
    for rule in lexicon.net:
        if RANK[rule.level] < RANK[found.level]:
            continue
        groups = _present(scan, rule.needs)
        if groups is None:
            continue
        for together in _together(groups, rule.within):
            level = _net_level(rule, together, scan, spans, lexicon)
            level = _context_cap(level, rule.category, contexts)
            first = min(s[0] for s in together)
            last = max(s[1] for s in together)
            if level != "none" and lexicon.frames:
                level = _frame_cap(level, rule.category, first, last, scan, lexicon)
            if level != "none":
                found = _stronger(found, Verdict(level, rule.category, rule.id), lexicon.priority)
            if level == rule.level:
                break
        if found.level == "crisis":
            break
    return found


MAX_COMBINATIONS = 64  # per net rule and text: enough for any real message, bounded for floods


def _together(groups: list[list[Span]], within: int) -> Iterator[tuple[Span, ...]]:
    """One hit of every group, their first words fewer than `within` words apart (any order)."""
    order = sorted(range(len(groups)), key=lambda g: len(groups[g]))

    def extend(chosen: list[Span], k: int) -> Iterator[tuple[Span, ...]]:
        if k == len(order):
            yield tuple(chosen)
            return
        low = max((s[0] for s in chosen), default=0) - within
        high = min((s[0] for s in chosen), default=0) + within
        for span in groups[order[k]]:
            if chosen and not low < span[0] < high:
                continue
            yield from extend([*chosen, span], k + 1)

    for count, together in enumerate(extend([], 0), 1):
        yield together
        if count >= MAX_COMBINATIONS:
            return


def _net_level(
    rule: NetRule,
    together: tuple[Span, ...],
    scan: _ConceptScan,
    spans: list[HarmlessSpan],
    lexicon: Lexicon,
) -> Level:
    level: Level = rule.level
    tokens, starts = scan.tokens, scan.starts
    for first, last in together:
        begin, end = starts[first] - 1, starts[last - 1] + len(tokens.words[last - 1]) + 1
        for start, stop, cap, harmless_id in spans:
            if harmless_id in rule.despite:
                continue
            if start + 1 < end and begin + 1 < stop and RANK[cap] < RANK[level]:
                level = cap
    first = min(s[0] for s in together)
    last = max(s[1] for s in together)
    if RANK[rule.cap] < RANK[level] and any(scan.near(f, first, last) for f in rule.unless):
        level = rule.cap
    if level == "none" or rule.negated is None:
        return level
    covered = {i for a, b in together for i in range(a, b)}
    if _negated(tokens, first, last, lexicon, lambda i, _word: i in covered):
        return rule.negated if RANK[rule.negated] < RANK[level] else level
    return level


def _windowed_hits(
    tokens: Tokens, joined: str, starts: list[int], rules: list[Rule]
) -> Iterator[tuple[Rule, re.Match[str]]]:
    """Matches in a long text, searched only in windows of words around each rule's anchors."""
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(tokens.words):
        positions.setdefault(word, []).append(i)
    by_prefix: dict[str, list[int]] = {}
    count = len(tokens.words)
    for rule in rules:
        places: list[int] = []
        for word in rule.anchors or ():
            places += positions.get(word, ())
        for prefix in rule.prefixes:
            if prefix not in by_prefix:
                by_prefix[prefix] = [
                    i for word, where in positions.items() if word.startswith(prefix) for i in where
                ]
            places += by_prefix[prefix]
        dense = len(places) * (WINDOW_BEFORE + WINDOW_AFTER) >= count
        if rule.anchors is None or dense or rule.regex.pattern.endswith(END_OF_TEXT):
            yield from ((rule, m) for m in rule.regex.finditer(joined))
            continue
        for first, last in _merged(sorted(set(places)), count):
            end = starts[last - 1] + len(tokens.words[last - 1]) + 1
            yield from ((rule, m) for m in rule.regex.finditer(joined, starts[first] - 1, end))


def _merged(anchors: list[int], count: int) -> Iterator[tuple[int, int]]:
    """Word ranges [first, last) around anchor positions, overlapping ranges merged."""
    current: tuple[int, int] | None = None
    for i in anchors:
        first, last = max(0, i - WINDOW_BEFORE), min(count, i + WINDOW_AFTER)
        if current is not None and first <= current[1]:
            current = (current[0], max(current[1], last))
            continue
        if current is not None:
            yield current
        current = (first, last)
    if current is not None:
        yield current


def _level(
    rule: Rule,
    match: re.Match[str],
    spans: list[HarmlessSpan],
    tokens: Tokens,
    starts: list[int],
    lexicon: Lexicon,
) -> Level:
    level: Level = rule.level
    for start, end, cap, _ in spans:
        if start + 1 < match.end() and match.start() + 1 < end and RANK[cap] < RANK[level]:
            level = cap
    if level == "none" or rule.negated is None:
        return level
    first = bisect.bisect_left(starts, match.start() + 1)
    last = bisect.bisect_left(starts, match.end())
    literal = rule.literal_words

    def part_of_match(i: int, word: str) -> bool:
        return first <= i < last and word in literal

    if _negated(tokens, first, last, lexicon, part_of_match) and RANK[rule.negated] < RANK[level]:
        return rule.negated
    return level


def _negated(
    tokens: Tokens,
    first: int,
    last: int,
    lexicon: Lexicon,
    part_of_match: Callable[[int, str], bool],
) -> bool:
    """A negation word shortly before, inside (not written in the rule) or right after a match."""
    words = tokens.words
    sentence_start = max((b for b in tokens.breaks if b <= first), default=0)
    sentence_end = min((b for b in tokens.breaks if b > last - 1), default=len(words))
    window = range(
        max(sentence_start, first - lexicon.negation_window), min(sentence_end, last + 1)
    )
    for i in window:
        word = words[i]
        if word not in lexicon.negators:
            continue
        if part_of_match(i, word):
            continue
        if i + 1 < len(words) and words[i + 1] == "mer":
            continue  # "niet meer" means "no longer": it does not undo the wish
        if i < first and CLAUSE_SUBJECT in words[i + 1 : first]:
            continue  # "ik weet het niet ik wil dood": a new clause starts before the match
        return True
    return False


def _stronger(a: Verdict, b: Verdict, priority: tuple[Category, ...]) -> Verdict:
    if RANK[b.level] != RANK[a.level]:
        return b if RANK[b.level] > RANK[a.level] else a
    if a.category is None or b.category is None:
        return a if a.category is not None else b
    order = {c: i for i, c in enumerate(priority)}
    return b if order.get(b.category, 99) < order.get(a.category, 99) else a


def _with_nlu(
    found: Verdict, nlu: NluResult | None, signal: NluSignal, harmless_seen: bool
) -> Verdict:
    """The NLU may raise the level, never lower it; over a harmless phrase at most to check."""
    if nlu is None or found.level == "crisis":
        return found
    score = nlu.score(signal.intent)
    rule = f"nlu:{signal.intent}"
    if found.level == "check":
        return (
            Verdict("crisis", found.category, found.rule)
            if score >= signal.confirm_threshold and not harmless_seen
            else found
        )
    if harmless_seen:
        return (
            Verdict("check", signal.category, rule) if score >= signal.crisis_threshold else found
        )
    if score >= signal.crisis_threshold:
        return Verdict("crisis", signal.category, rule)
    if score >= signal.check_threshold:
        return Verdict("check", signal.category, rule)
    return found


def matches(text: str, lexicon: Lexicon) -> Iterator[str]:
    """Ids of the rules matching a text, before harmless spans and negation (for editors)."""
    seen: set[str] = set()
    for tokens in lexicon.normaliser.variants(text):
        joined, _ = tokens.text()
        for rule in lexicon.rules:
            if rule.id not in seen and rule.regex.search(joined):
                seen.add(rule.id)
                yield rule.id


def _helplines(call: BuiltinCall) -> BuiltinResult:
    lexicon = call.content.safety
    if not isinstance(lexicon, Lexicon):
        return BuiltinResult()
    wanted = call.params.get("lines")
    lines = (
        [h for h in (lexicon.helpline(str(i)) for i in wanted) if h is not None]
        if isinstance(wanted, list)
        else list(lexicon.helplines)
    )
    body = "\n".join(h.text for h in lines)
    text = f"{lexicon.helplines_intro}\n{body}" if lexicon.helplines_intro else body
    return BuiltinResult(messages=(Message(text),))


BUILTINS: Mapping[str, Builtin] = MappingProxyType(
    {
        "helplines": Builtin(_helplines, frozenset({"lines"})),
    }
)


__all__ = [
    "BUILTINS",
    "CARE_FLOWS",
    "CARE_KINDS",
    "RANK",
    "SAFE",
    "WORD",
    "Care",
    "Category",
    "Concept",
    "Context",
    "Frame",
    "Harmless",
    "Heightened",
    "Helpline",
    "Level",
    "Lexicon",
    "ModelSignal",
    "NetRule",
    "NluSignal",
    "Normaliser",
    "Rule",
    "Span",
    "Tokens",
    "Verdict",
    "canonical_word",
    "fold",
    "fuzzy_index",
    "matches",
    "screen",
    "within_one_edit",
]
