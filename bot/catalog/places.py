"""Where a pupil lives: place names and postcodes resolved to a province and a network."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalog.networks import NETWORK_IDS
from bot.flows.problems import Problem

PLACES_FILE = "places/places.json"
_POSTCODE = re.compile(r"(?<!\d)([1-9]\d{3})(?!\d)")
_MAX_WORDS = 6
# Place names that are also everyday words: found in a free sentence only after a preposition
# of place ("ik woon in boom") or when they are the whole message.
_COMMON_WORDS = frozenset(
    {
        "alle",
        "ans",
        "arbre",
        "as",
        "ath",
        "aubel",
        "bande",
        "beek",
        "bende",
        "berg",
        "bevel",
        "bever",
        "bois",
        "boom",
        "bos",
        "bouge",
        "bras",
        "bree",
        "bure",
        "celles",
        "dave",
        "doel",
        "dour",
        "eke",
        "elen",
        "ere",
        "forest",
        "foret",
        "fosse",
        "geel",
        "geer",
        "gits",
        "goe",
        "graven",
        "hal",
        "halen",
        "halle",
        "ham",
        "hamme",
        "haren",
        "heer",
        "heide",
        "heron",
        "hives",
        "hoeven",
        "hof",
        "hour",
        "hove",
        "huy",
        "impe",
        "kain",
        "kanne",
        "kapelle",
        "kiel",
        "laken",
        "leau",
        "lede",
        "leest",
        "lens",
        "lessen",
        "leut",
        "lille",
        "linden",
        "lint",
        "lo",
        "loon",
        "lot",
        "malle",
        "manage",
        "marche",
        "mater",
        "mean",
        "meer",
        "mere",
        "mesen",
        "moen",
        "mol",
        "mons",
        "mont",
        "muizen",
        "naast",
        "namen",
        "neu",
        "nil",
        "ohey",
        "olen",
        "on",
        "oost",
        "oud",
        "outer",
        "paal",
        "peer",
        "pulle",
        "putte",
        "recht",
        "reet",
        "roux",
        "ruien",
        "silly",
        "spa",
        "spiere",
        "stave",
        "termes",
        "tielt",
        "vaux",
        "vorst",
        "ways",
        "weelde",
        "wegen",
        "welle",
        "wellen",
        "wortel",
        "zande",
        "zele",
        "zolder",
    }
)
_PLACE_PREPOSITIONS = frozenset(
    {"in", "uit", "te", "bij", "rond", "van", "vanuit", "richting", "dans", "near", "from"}
)


def normalize(text: str) -> str:
    """Lowercase, strip accents, turn punctuation into spaces and 'st' into 'sint'."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"\bst\b", "sint", text)


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: the name as known, its municipality, province and network id."""

    name: str
    municipality: str | None
    province: str | None
    network: str | None


class Gazetteer:
    """Resolves municipality and sub-municipality names and postcodes to places."""

    def __init__(
        self,
        names: Mapping[str, Place],
        postcodes: Mapping[str, Place],
        ranges: tuple[tuple[int, int, str, str | None], ...],
    ) -> None:
        self._names = dict(names)
        self._postcodes = dict(postcodes)
        self._ranges = ranges

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Gazetteer:
        """Build a gazetteer from the parsed places document (content/places/places.json)."""
        provinces = data["provinces"]
        municipalities = data["municipalities"]

        def place(name: str, refnis: str) -> Place:
            muni = municipalities[refnis]
            province = provinces[muni["province"]]
            return Place(name, muni["name"], province["name"], province["network"])

        names: dict[str, Place] = {}
        for refnis, muni in municipalities.items():
            for variant in (muni["name"], *muni["aliases"]):
                names.setdefault(normalize(variant), place(muni["name"], refnis))
        for name, refnis in data["places"].items():
            names.setdefault(normalize(name), place(name, refnis))
        postcodes = {
            code: place(municipalities[owners[0]]["name"], owners[0])
            for code, owners in data["postcodes"].items()
            if owners
        }
        ranges = tuple(
            (int(low), int(high), provinces[key]["name"], provinces[key]["network"])
            for low, high, key in data["postcode_ranges"]
        )
        return cls(names, postcodes, ranges)

    def __len__(self) -> int:
        return len(self._names)

    def municipalities(self) -> frozenset[str]:
        """The official names of all municipalities."""
        return frozenset(p.municipality for p in self._names.values() if p.municipality)

    def resolve(self, text_or_value: str) -> Place | None:
        """Resolve a place name (any case or accents) or a 4-digit postcode, else None."""
        value = text_or_value.strip()
        if re.fullmatch(r"\d{4}", value):
            return self._postcode(value)
        return self._names.get(normalize(value))

    def find_in_text(self, text: str) -> Place | None:
        """Find the first place name or known postcode in a free sentence, else None."""
        words = normalize(text).split()
        for start in range(len(words)):
            for size in range(min(_MAX_WORDS, len(words) - start), 0, -1):
                key = " ".join(words[start : start + size])
                found = self._names.get(key)
                if found is None:
                    continue
                if (
                    key in _COMMON_WORDS
                    and len(words) > 1
                    and (start == 0 or words[start - 1] not in _PLACE_PREPOSITIONS)
                ):
                    continue
                return found
        for match in _POSTCODE.finditer(text):
            if match.group(1) in self._postcodes:
                return self._postcodes[match.group(1)]
        return None

    def _postcode(self, code: str) -> Place | None:
        known = self._postcodes.get(code)
        if known is not None:
            return known
        number = int(code)
        for low, high, province, network in self._ranges:
            if low <= number <= high:
                return Place(code, None, province, network)
        return None


def load_gazetteer(content_dir: Path) -> tuple[Gazetteer | None, list[Problem]]:
    """Load content/places/places.json into a gazetteer, reporting problems instead of raising."""
    path = content_dir / PLACES_FILE
    display = f"content/{PLACES_FILE}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [
            Problem(
                display,
                None,
                f"cannot read the places file: {exc}",
                "run scripts/build_places.py to generate it",
            )
        ]
    except json.JSONDecodeError as exc:
        return None, [
            Problem(
                display,
                exc.lineno,
                f"invalid JSON: {exc.msg}",
                "regenerate it with scripts/build_places.py; do not edit by hand",
            )
        ]
    problems = _check(data, display)
    if problems:
        return None, problems
    return Gazetteer.from_data(data), []


def _check(data: Any, display: str) -> list[Problem]:
    """Check the shape and cross-references of the places document."""
    hint = "regenerate it with scripts/build_places.py"
    if not isinstance(data, dict):
        return [Problem(display, None, "the places file must hold one JSON object", hint)]
    required = (
        "provinces",
        "municipalities",
        "places",
        "postcodes",
        "postcode_ranges",
        "reviewed",
        "sources",
    )
    missing = [key for key in required if key not in data]
    if missing:
        return [Problem(display, None, f"missing section(s): {', '.join(missing)}", hint)]
    problems: list[Problem] = []
    provinces = data["provinces"]
    municipalities = data["municipalities"]
    for key, province in provinces.items():
        if province.get("network") not in (None, *NETWORK_IDS):
            problems.append(
                Problem(
                    display,
                    None,
                    f"province '{key}' has unknown network '{province.get('network')}'",
                    f"use one of: {', '.join(NETWORK_IDS)}",
                )
            )
    for refnis, muni in municipalities.items():
        if muni.get("province") not in provinces:
            problems.append(
                Problem(
                    display,
                    None,
                    f"municipality {refnis} has an unknown province '{muni.get('province')}'",
                    hint,
                )
            )
    for name, refnis in data["places"].items():
        if refnis not in municipalities:
            problems.append(
                Problem(
                    display, None, f"place '{name}' points to unknown municipality {refnis}", hint
                )
            )
    for code, owners in data["postcodes"].items():
        if not re.fullmatch(r"\d{4}", code) or any(o not in municipalities for o in owners):
            problems.append(
                Problem(
                    display,
                    None,
                    f"postcode '{code}' is malformed or points to an unknown municipality",
                    hint,
                )
            )
    for entry in data["postcode_ranges"]:
        if len(entry) != 3 or entry[2] not in provinces:
            problems.append(Problem(display, None, f"postcode range {entry} is malformed", hint))
    return problems
