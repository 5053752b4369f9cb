"""The safety screen: reviewed lexicon rules first, the NLU's crisis intent second. Pure.

Every pupil text is normalised (case, accents, leetspeak, repeated letters, d/t endings,
tussentaal spellings, missing spaces, small typos) and matched against the compiled rules of
`content/safety.yml`. Harmless uses (hyperbole, games) cover spans of text that then cannot
trigger a rule; a negation near a match lowers it (usually to a check question).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from bot.core.actions import Builtin, BuiltinCall, BuiltinResult, Message
from bot.core.nlu import NluResult

Level = Literal["none", "check", "crisis"]
RANK: Mapping[str, int] = MappingProxyType({"none": 0, "check": 1, "crisis": 2})
WORD = "[a-z0-9]"
_APOSTROPHES = re.compile(r"[’‘`´]")
_INNER_HYPHEN = re.compile(r"(?<=[a-z0-9])[-‐‑](?=[a-z0-9])")
_LEET_CHARS = "013457@$€"
_LEET = re.compile(rf"(?<=[a-z])[{re.escape(_LEET_CHARS)}]|[{re.escape(_LEET_CHARS)}](?=[a-z])")
_LEET_MAP = str.maketrans(_LEET_CHARS, "oieastase")
_BREAK = re.compile(r"[.!?;:\n\r]+")
_NON_WORD = re.compile(r"[^a-z0-9\x00]+")
_RUNS = re.compile(r"([a-z])\1+")
MAX_SEGMENT_LENGTH = 40
MAX_FUZZY_LENGTH = 24


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


SAFE = Verdict("none")


def canonical_word(word: str) -> str:
    """The spelling-tolerant key of one folded word: ij→ei, no doubled letters, final d→t."""
    key = _RUNS.sub(r"\1", word.replace("ij", "ei"))
    if key.endswith("dt"):
        key = key[:-2] + "t"
    elif key.endswith("d") and len(key) > 1:
        key = key[:-1] + "t"
    return key


def fold(text: str) -> str:
    """Casefold and strip accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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


@dataclass(frozen=True, slots=True)
class Context:
    """Words anywhere in a message (a joke marker, a game) that cap some categories."""

    id: str
    regex: re.Pattern[str]
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
    """How the NLU's crisis intent may raise the level."""

    intent: str = "crisis"
    check_threshold: float = 0.35
    crisis_threshold: float = 0.8
    category: Category = Category.SUICIDE_SELF_HARM


@dataclass(frozen=True, slots=True)
class Normaliser:
    """Everything that turns raw text into canonical tokens."""

    symbols: Mapping[str, str] = field(default_factory=dict)
    spellings: Mapping[str, str] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    fuzzy_index: Mapping[str, frozenset[str]] = field(default_factory=dict)
    fuzzy_min: int = 7

    def variants(self, text: str) -> list[Tokens]:
        """The canonical token sequences of a text: as typed, and with glued words split."""
        base = self._tokens(text)
        split = self._segmented(base)
        return [base] if split is None else [base, split]

    def _tokens(self, text: str) -> Tokens:
        folded = _APOSTROPHES.sub("'", fold(text))
        for symbol, word in self.symbols.items():
            if symbol in folded:
                folded = folded.replace(symbol, f" {word} ")
        folded = _INNER_HYPHEN.sub("", folded.replace("'", " "))
        folded = _LEET.sub(lambda m: m.group(0).translate(_LEET_MAP), folded)
        marked = _NON_WORD.sub(" ", _BREAK.sub(" \x00 ", folded))
        words: list[str] = []
        breaks: set[int] = set()
        for raw in marked.split():
            if raw == "\x00":
                breaks.add(len(words))
                continue
            words.append(self._word(raw))
        return Tokens(tuple(words), frozenset(breaks))

    def _word(self, raw: str) -> str:
        word = canonical_word(raw) if not raw.isdigit() else raw
        word = self.spellings.get(word, word)
        if word in self.vocabulary or word.isdigit():
            return word
        if word.endswith("e") and word + "n" in self.vocabulary:
            return word + "n"  # Flemish drops the final n: "leve", "sterve", "genome"
        if len(word) >= self.fuzzy_min:
            return self._corrected(word)
        return word

    def _corrected(self, word: str) -> str:
        if len(word) > MAX_FUZZY_LENGTH:
            return word
        found: set[str] = set(self.fuzzy_index.get(word, ()))
        for i in range(len(word)):
            found.update(self.fuzzy_index.get(word[:i] + word[i + 1:], ()))
        close = [c for c in found if within_one_edit(word, c)]
        return close[0] if len(close) == 1 else word

    def _segmented(self, tokens: Tokens) -> Tokens | None:
        words: list[str] = []
        breaks: set[int] = set()
        changed = False
        for i, word in enumerate(tokens.words):
            if i in tokens.breaks:
                breaks.add(len(words))
            pieces = self._split(word)
            changed = changed or len(pieces) > 1
            words.extend(self.spellings.get(p, p) for p in pieces)
        return Tokens(tuple(words), frozenset(breaks)) if changed else None

    def _split(self, word: str) -> list[str]:
        """Split a glued token into known words ("kwilzelfmoordplegen"), fewest pieces first."""
        n = len(word)
        if n < 3 or n > MAX_SEGMENT_LENGTH or word in self.vocabulary or not word.isalpha():
            return [word]
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - 20), end):
                prefix = best[start]
                if prefix is None:
                    continue
                piece = self._known(word[start:end], start)
                if piece is not None and (best[end] is None or len(prefix) + 1 < len(best[end] or [])):
                    best[end] = [*prefix, piece]
        result = best[n]
        return result if result is not None and len(result) > 1 else [word]

    def _known(self, piece: str, start: int) -> str | None:
        if piece == "k" and start == 0:
            return piece
        if len(piece) < 2:
            return None
        if piece in self.vocabulary:
            return piece
        if piece.endswith("d") and piece[:-1] + "t" in self.vocabulary:
            return piece[:-1] + "t"  # pieces inside a glued word keep their final d
        return None


@dataclass(frozen=True, slots=True)
class Tokens:
    """Canonical words of a text; `breaks` holds the indexes where a new sentence starts."""

    words: tuple[str, ...]
    breaks: frozenset[int] = frozenset()

    def text(self) -> tuple[str, list[int]]:
        """The words joined as ` w1 w2 ... ` and the start offset of each word."""
        starts: list[int] = []
        offset = 1
        for word in self.words:
            starts.append(offset)
            offset += len(word) + 1
        return " " + " ".join(self.words) + " ", starts


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1:] == b[i + 1:]:
            return True
        return a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:]
    return a[i + 1:] == b[i:] if la > lb else a[i:] == b[i + 1:]


def fuzzy_index(words: frozenset[str], minimum: int) -> Mapping[str, frozenset[str]]:
    """Index every word of at least `minimum` letters under itself and its one-letter deletions."""
    index: dict[str, set[str]] = {}
    for word in words:
        if len(word) < minimum or not word.isalpha():
            continue
        index.setdefault(word, set()).add(word)
        for i in range(len(word)):
            index.setdefault(word[:i] + word[i + 1:], set()).add(word)
    return MappingProxyType({k: frozenset(v) for k, v in index.items()})


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
    priority: tuple[Category, ...] = (Category.ACUTE_DANGER, Category.SUICIDE_SELF_HARM,
                                      Category.VIOLENCE_ABUSE)
    helplines: tuple[Helpline, ...] = ()
    helplines_intro: str = ""
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


def screen(text: str, lexicon: Lexicon, nlu: NluResult | None = None) -> Verdict:
    """Screen one pupil text: `crisis`, `check` (ask gently) or `none`."""
    found = SAFE
    variants = lexicon.normaliser.variants(text)
    for tokens in variants:
        found = _stronger(found, _screen_tokens(tokens, lexicon), lexicon.priority)
    if nlu is None or found.level == "crisis":
        return found
    harmless_seen = any(h.regex.search(t.text()[0]) for t in variants for h in lexicon.harmless)
    return _with_nlu(found, nlu, lexicon.nlu, harmless_seen)


def _screen_tokens(tokens: Tokens, lexicon: Lexicon) -> Verdict:
    joined, starts = tokens.text()
    hits = [(rule, match) for rule in lexicon.candidates(tokens.words)
            for match in rule.regex.finditer(joined)]
    if not hits:
        return SAFE
    spans = [(m.start(), m.end(), h.cap) for h in lexicon.harmless for m in h.regex.finditer(joined)]
    contexts = [c for c in lexicon.contexts if c.regex.search(joined)]
    found = SAFE
    for rule, match in hits:
        level = _level(rule, match, spans, tokens, starts, lexicon)
        for context in contexts:
            if rule.category in context.categories and RANK[context.cap] < RANK[level]:
                level = context.cap
        if level != "none":
            found = _stronger(found, Verdict(level, rule.category, rule.id), lexicon.priority)
    return found


def _level(rule: Rule, match: re.Match[str], spans: list[tuple[int, int, Level]],
           tokens: Tokens, starts: list[int], lexicon: Lexicon) -> Level:
    level: Level = rule.level
    for start, end, cap in spans:
        if start + 1 < match.end() and match.start() + 1 < end and RANK[cap] < RANK[level]:
            level = cap
    if level == "none" or rule.negated is None:
        return level
    first = bisect.bisect_left(starts, match.start() + 1)
    last = bisect.bisect_left(starts, match.end())
    if _negated(tokens, first, last, rule, lexicon) and RANK[rule.negated] < RANK[level]:
        return rule.negated
    return level


def _negated(tokens: Tokens, first: int, last: int, rule: Rule, lexicon: Lexicon) -> bool:
    """A negation word shortly before, inside (not written in the rule) or right after a match."""
    words = tokens.words
    sentence_start = max((b for b in tokens.breaks if b <= first), default=0)
    sentence_end = min((b for b in tokens.breaks if b > last - 1), default=len(words))
    window = range(max(sentence_start, first - lexicon.negation_window),
                   min(sentence_end, last + 1))
    for i in window:
        word = words[i]
        if word not in lexicon.negators:
            continue
        if first <= i < last and word in rule.literal_words:
            continue
        if i + 1 < len(words) and words[i + 1] == "mer":
            continue  # "niet meer" means "no longer": it does not undo the wish
        return True
    return False


def _stronger(a: Verdict, b: Verdict, priority: tuple[Category, ...]) -> Verdict:
    if RANK[b.level] != RANK[a.level]:
        return b if RANK[b.level] > RANK[a.level] else a
    if a.category is None or b.category is None:
        return a if a.category is not None else b
    order = {c: i for i, c in enumerate(priority)}
    return b if order.get(b.category, 99) < order.get(a.category, 99) else a


def _with_nlu(found: Verdict, nlu: NluResult | None, signal: NluSignal,
              harmless_seen: bool) -> Verdict:
    """The NLU may raise the level, never lower it; over a harmless phrase at most to check."""
    if nlu is None or found.level == "crisis":
        return found
    score = nlu.score(signal.intent)
    rule = f"nlu:{signal.intent}"
    if found.level == "check":
        return Verdict("crisis", found.category, found.rule) if score >= signal.check_threshold \
            and not harmless_seen else found
    if harmless_seen:
        return Verdict("check", signal.category, rule) if score >= signal.crisis_threshold else found
    if score >= signal.crisis_threshold:
        return Verdict("crisis", signal.category, rule)
    if score >= signal.check_threshold:
        return Verdict("check", signal.category, rule)
    return found


def matches(text: str, lexicon: Lexicon) -> Iterator[str]:
    """The ids of every rule that matches a text, before harmless spans and negation (for editors)."""
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
    lines = [h for h in (lexicon.helpline(str(i)) for i in wanted) if h is not None] \
        if isinstance(wanted, list) else list(lexicon.helplines)
    body = "\n".join(h.text for h in lines)
    text = f"{lexicon.helplines_intro}\n{body}" if lexicon.helplines_intro else body
    return BuiltinResult(messages=(Message(text),))


BUILTINS: Mapping[str, Builtin] = MappingProxyType({
    "helplines": Builtin(_helplines, frozenset({"lines"})),
})
