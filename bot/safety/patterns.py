"""The lexicon's pattern syntax (see the top of content/safety.yml) compiled to regular expressions.

Patterns are matched against canonical text (bot/core/safety_text.py): words separated by one
space, with a space before the first and after the last word. Every quantifier is bounded, so
no pattern can backtrack catastrophically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.safety.text import WORD, canonical_word, fold

DEFAULT_GAP = 3
NUMBER_REGEX = "(?:[5-9]|[1-9][0-9]+)"
_ATOM = re.compile(r"^\*?[a-z0-9]+\*?$")
_GAP = re.compile(r"^\.\.\.([1-9])?$")
END = "$"


class PatternError(ValueError):
    """A pattern does not follow the lexicon syntax."""


@dataclass
class PatternCompiler:
    """Turns the editor syntax into regular expressions over canonical text."""

    spellings: Mapping[str, str] = field(default_factory=dict)
    macros: dict[str, str] = field(default_factory=dict)
    macro_words: dict[str, frozenset[str]] = field(default_factory=dict)
    macro_sources: dict[str, list[str]] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    current: set[str] = field(default_factory=set)

    def pattern(self, source: str) -> tuple[re.Pattern[str], frozenset[str]]:
        """Compile one pattern; returns the regex and the literal words it names."""
        self.current = set()
        regex = re.compile(self.alternatives(source.strip()) + "(?= )")
        if regex.search(" ") is not None:
            raise PatternError(
                "the pattern can match a text without words; make at least one word required"
            )
        return regex, frozenset(self.current)

    def macro(self, name: str, alternatives: list[str]) -> list[str]:
        """Compile a building block; returns the alternatives that could not be compiled."""
        self.current = set()
        compiled, failed = [], []
        for alternative in alternatives:
            try:
                compiled.append(self.alternatives(alternative))
            except PatternError as exc:
                failed.append(f"'{alternative}': {exc}")
        self.macros[name] = "(?:" + "|".join(compiled or ["(?!)"]) + ")"
        self.macro_words[name] = frozenset(self.current)
        self.macro_sources[name] = list(alternatives)
        return failed

    def alternatives(self, source: str) -> str:
        """Compile phrases separated by '|' (outside parentheses)."""
        parts = _split_top(source, "|")
        if len(parts) == 1:
            return self.sequence(parts[0])
        return "(?:" + "|".join(self.sequence(p) for p in parts) + ")"

    def sequence(self, source: str) -> str:
        """Compile a space-separated sequence of elements."""
        elements = _split_top(source, " ")
        elements = [e for e in elements if e]
        if not elements:
            raise PatternError("empty pattern or empty alternative")
        if _GAP.match(elements[0]) or _GAP.match(elements[-1]):
            raise PatternError("a pattern cannot start or end with '...'")
        if sum(1 for e in elements if _GAP.match(e)) > 2:
            raise PatternError("use at most two '...' gaps in one pattern")
        if END in elements[:-1] or elements == [END]:
            raise PatternError("'$' (end of the message) can only be the last element")
        return "".join(self.element(e) for e in elements)

    def element(self, source: str) -> str:
        """Compile one element: a gap, a group, a macro, a number or a choice of words."""
        gap = _GAP.match(source)
        if gap:
            return f"(?: {WORD}+){{0,{int(gap.group(1) or DEFAULT_GAP)}}}"
        if source == END:
            return "(?= $)"
        optional = source.endswith("?")
        core = source[:-1] if optional else source
        if core.startswith("(") and core.endswith(")"):
            inner = self.alternatives(core[1:-1])
        elif core.startswith("@"):
            name = core[1:]
            if name not in self.macros:
                raise PatternError(f"unknown building block '@{name}'; define it under 'words'")
            inner = self.macros[name]
            self.current |= self.macro_words[name]
        else:
            inner = " " + self.atom(core)
        return f"(?:{inner})?" if optional else inner

    def atom(self, source: str) -> str:
        """Compile one word, with '*' for any beginning or ending, or '#' for a number >= 5."""
        if source == "#":
            return NUMBER_REGEX
        text = fold(source).replace("'", "")
        if not _ATOM.match(text):
            raise PatternError(
                f"'{source}' is not a word; use letters and digits, '*' only at the start or end"
            )
        head, tail = text.startswith("*"), text.endswith("*")
        core = text.strip("*")
        if not head and not tail:
            return re.escape(self.word(core))
        key = re.sub(r"([a-z])\1+", r"\1", core.replace("ij", "ei"))
        self.words.add(key)
        if tail:
            stem = re.escape(key[:-1]) + "[dt]" if key[-1] in "dt" else re.escape(key)
            return (f"{WORD}*" if head else "") + stem + f"{WORD}*"
        return f"{WORD}*" + re.escape(canonical_word(core))

    def word(self, raw: str) -> str:
        """The canonical form of a literal word, as the normaliser produces it."""
        key = canonical_word(raw) if not raw.isdigit() else raw
        key = self.spellings.get(key, key)
        self.words.add(key)
        self.current.add(key)
        return key

    def family(self, items: list[str]) -> tuple[Family, list[str]]:
        """Compile a concept family: single words, 'prefix*' words and phrases; and failures."""
        family = Family()
        phrases: list[str] = []
        failed: list[str] = []
        for item in items:
            text = fold(item).replace("'", "").strip()
            if _ATOM.match(text) and not text.startswith("*"):
                key = re.sub(r"([a-z])\1+", r"\1", text.strip("*").replace("ij", "ei"))
                if text.endswith("*"):
                    self.words.add(key)
                    family.prefixes.add(key)
                    if key[-1] in "dt":  # a final d is written t: "zelfmoord" -> "zelfmort"
                        family.prefixes.add(key[:-1] + ("t" if key[-1] == "d" else "d"))
                else:
                    family.words.add(self.word(text.strip("*")))
                continue
            try:
                regex, _ = self.pattern(item)
            except (PatternError, re.error) as exc:
                failed.append(f"'{item}': {exc}")
                continue
            phrases.append(regex.pattern)
            found = self.anchors(item)
            if found is None:
                family.unanchored = True
            else:
                family.anchors |= {w for w in found if not w.endswith("*")}
                family.anchor_prefixes |= {w[:-1] for w in found if w.endswith("*")}
        if phrases:
            family.regex = re.compile("|".join(f"(?:{p})" for p in phrases))
        return family, failed

    def anchors(self, source: str) -> set[str] | None:
        """Words (or 'prefix*') of which one must occur for the pattern to match; None: any."""
        found: set[str] = set()
        for part in _split_top(source, "|"):
            anchor = self._sequence_anchor(part)
            if anchor is None:
                return None
            found |= anchor
        return found

    def _sequence_anchor(self, source: str) -> set[str] | None:
        for element in (e for e in _split_top(source, " ") if e):
            if _GAP.match(element) or element.endswith("?") or element == END:
                continue
            if element.startswith("(") and element.endswith(")"):
                return self.anchors(element[1:-1])
            if element.startswith("@"):
                found: set[str] = set()
                for alternative in self.macro_sources.get(element[1:], []):
                    anchor = self.anchors(alternative)
                    if anchor is None:
                        return None
                    found |= anchor
                return found
            return self._atom_anchor(element)
        return None

    def _atom_anchor(self, source: str) -> set[str] | None:
        text = fold(source).replace("'", "")
        if text == "#" or text.startswith("*"):
            return None
        if text.endswith("*"):
            key = re.sub(r"([a-z])\1+", r"\1", text.strip("*").replace("ij", "ei"))
            return {(key[:-1] if key[-1] in "dt" else key) + "*"}
        key = canonical_word(text) if not text.isdigit() else text
        return {self.spellings.get(key, key)}


@dataclass
class Family:
    """A compiled concept family (see `PatternCompiler.family`)."""

    words: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    regex: re.Pattern[str] | None = None
    anchors: set[str] = field(default_factory=set)
    anchor_prefixes: set[str] = field(default_factory=set)
    unanchored: bool = False


def _split_top(source: str, separator: str) -> list[str]:
    """Split on a separator outside parentheses."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in source:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise PatternError("a ')' has no matching '('")
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    if depth != 0:
        raise PatternError("a '(' is not closed")
    parts.append(current)
    return [p.strip() for p in parts]
