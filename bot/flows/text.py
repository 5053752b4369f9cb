"""Text helpers for matching what pupils type: normalisation and slot templating."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lowercase, strip accents and punctuation, collapse white space.

    Not cached: a cache would keep pupil text. Content phrases are normalised once at load
    (e.g. `ButtonSpec.heard`, `Patterns.yes_heard`, `Understand.moods_heard`).
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NON_WORD.sub(" ", plain)).strip()


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Replace `{slot}` placeholders with slot values; unknown slots become empty."""

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        return "" if found is None else str(found)

    return _PLACEHOLDER.sub(value, template)


def placeholders(template: str) -> set[str]:
    """Return the slot names a text refers to."""
    return set(_PLACEHOLDER.findall(template))


def contains_phrase(text: str, phrase: str) -> bool:
    """True when the normalised phrase occurs in the normalised text as whole words."""
    needle = normalize(phrase)
    return bool(needle) and f" {needle} " in f" {normalize(text)} "
