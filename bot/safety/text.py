"""Text normalisation for the safety screen: the canonical words a pupil text is matched on.

Lowercase, no accents, leetspeak digits, no repeated letters, d/t endings and ij/ei unified,
tussentaal spellings, glued words split, one typo in listed long words corrected. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

WORD = "[a-z0-9]"
_APOSTROPHES = re.compile(r"[’‘`´]")
_INNER_HYPHEN = re.compile(r"(?<=[a-z0-9])[-‐‑](?=[a-z0-9])")
_LEET_CHARS = "013457@$€"
_LEET = re.compile(rf"(?<=[a-z])[{re.escape(_LEET_CHARS)}]|[{re.escape(_LEET_CHARS)}](?=[a-z])")
_LEET_MAP = str.maketrans(_LEET_CHARS, "oieastase")
_BREAK = re.compile(r"[.!?;:,\n\r]+")  # also commas: they bound the scope of a negation
_NON_WORD = re.compile(r"[^a-z0-9\x00]+")
_RUNS = re.compile(r"([a-z])\1+")
MAX_SEGMENT_LENGTH = 40
MAX_FUZZY_LENGTH = 24


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
class Normaliser:
    """Everything that turns raw text into canonical tokens."""

    symbols: Mapping[str, str] = field(default_factory=dict)
    spellings: Mapping[str, str] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    fuzzy_index: Mapping[str, frozenset[str]] = field(default_factory=dict)
    fuzzy_min: int = 7
    dialect: tuple[tuple[str, str], ...] = ()

    def variants(self, text: str) -> list[Tokens]:
        """The canonical token sequences of a text: as typed, and with glued words split."""
        base = self._tokens(text)
        split = self._segmented(base)
        return [base] if split is None else [base, split]

    def words(self, text: str) -> tuple[str, ...]:
        """The canonical words of a text as typed (no glued-word splits): the model's input."""
        return self._tokens(text).words

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
        spoken = self._dialect(word)
        if spoken is not None:
            return spoken
        if len(word) >= self.fuzzy_min:
            return self._corrected(word)
        return word

    def _dialect(self, word: str) -> str | None:
        """A dialect sound written out ("moaken", "goan") mapped to a known word, if any."""
        for written, standard in self.dialect:
            if written not in word:
                continue
            key = canonical_word(word.replace(written, standard))
            key = self.spellings.get(key, key)
            if key in self.vocabulary:
                return key
            if key.endswith("e") and key + "n" in self.vocabulary:
                return key + "n"
        return None

    def _corrected(self, word: str) -> str:
        if len(word) > MAX_FUZZY_LENGTH:
            return word
        found: set[str] = set(self.fuzzy_index.get(word, ()))
        for i in range(len(word)):
            found.update(self.fuzzy_index.get(word[:i] + word[i + 1 :], ()))
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
                if piece is not None and (
                    best[end] is None or len(prefix) + 1 < len(best[end] or [])
                ):
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
    # text() made once, on first use: the screen asks for it for every rule it tries
    _joined: tuple[str, list[int]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def text(self) -> tuple[str, list[int]]:
        """The words joined as ` w1 w2 ... ` and the start offset of each word (do not change)."""
        if self._joined is None:
            starts: list[int] = []
            offset = 1
            for word in self.words:
                starts.append(offset)
                offset += len(word) + 1
            object.__setattr__(self, "_joined", (" " + " ".join(self.words) + " ", starts))
        assert self._joined is not None
        return self._joined


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
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]
    return a[i + 1 :] == b[i:] if la > lb else a[i:] == b[i + 1 :]


def fuzzy_index(words: frozenset[str], minimum: int) -> Mapping[str, frozenset[str]]:
    """Index every word of at least `minimum` letters under itself and its one-letter deletions."""
    index: dict[str, set[str]] = {}
    for word in words:
        if len(word) < minimum or not word.isalpha():
            continue
        index.setdefault(word, set()).add(word)
        for i in range(len(word)):
            index.setdefault(word[:i] + word[i + 1 :], set()).add(word)
    return MappingProxyType({k: frozenset(v) for k, v in index.items()})
