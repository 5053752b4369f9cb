"""Turning what a pupil typed into the value a question collects. Pure, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.flows.listening import Understand, mood, school_year
from bot.flows.model import ButtonSpec, Content, Patterns, SlotSpec, StepSpec
from bot.flows.nlu import NluResult
from bot.flows.text import normalize

SKIPPED = "skipped"
LOCATION_ENTITIES = frozenset({"municipality", "postcode"})
MAX_FREE_TEXT = 2000
_NUMBER = re.compile(r"(?<![\d.,])(-?\d{1,3})(?:[.,]\d+)?(?![\d])")


@dataclass(frozen=True, slots=True)
class Answer:
    """The value for the question's slot, and other slots the answer fills (e.g. network)."""

    value: Any
    slots: Mapping[str, Any] = field(default_factory=dict)


def interpret(
    content: Content, spec: StepSpec, text: str, nlu: NluResult | None, strict: bool
) -> Answer | None:
    """The answer in `text`, or None when it does not fit the question.

    `strict` runs before global intents get their turn: only clear answers (a button, a
    number, yes/no, a place). Afterwards free text and button words inside a sentence count.
    """
    slot = content.slots.get(spec.collect or "")
    norm = normalize(text)
    if spec.skippable and norm in content.patterns.skip_heard:
        return Answer(SKIPPED)
    chosen = match_button(content.patterns, spec, slot, norm, nlu)
    if chosen is None and spec.buttons:
        chosen = _by_listening(content, spec, slot, text, norm)
    if chosen is None and not strict:
        # A button's `match` words also pick it inside a longer answer ("ik twijfel nog"),
        # but only when exactly one button matches.
        phrased = _phrased(spec, norm)
        chosen = phrased[0] if len(phrased) == 1 else None
    if chosen is not None:
        return Answer(chosen.value)
    if slot is None:
        return None
    if slot.type == "number":
        return _maybe(parse_number(content.patterns, slot, norm,
                                   content.listening.understand.numbers))
    if slot.type == "yes_no":
        return _maybe(parse_yes_no(content.patterns, norm, nlu, content.listening.understand))
    if slot.type == "location":
        place = find_place(content, text, nlu)
        return None if place is None else Answer(place_name(place), place_slots(place))
    if slot.type == "text" and not strict and (spec.free_text or not spec.buttons):
        return Answer(text.strip()[:MAX_FREE_TEXT])
    return None


def _phrased(spec: StepSpec, norm: str) -> list[ButtonSpec]:
    """The buttons whose `match` words occur in the text. A button heard only inside a longer
    phrase of another button does not count: "wtf nee" is not "nee"."""
    padded = f" {norm} "
    heard = [[m for m in b.match_heard if m and f" {m} " in padded] for b in spec.buttons]

    def covered(index: int) -> bool:
        longer = [m for i, words in enumerate(heard) if i != index for m in words]
        return all(any(m != o and f" {m} " in f" {o} " for o in longer) for m in heard[index])

    return [b for i, b in enumerate(spec.buttons) if heard[i] and not covered(i)]


def match_button(
    patterns: Patterns, spec: StepSpec, slot: SlotSpec | None, norm: str, nlu: NluResult | None
) -> ButtonSpec | None:
    """The button the text names: by title, value, match word, number or intent."""
    for button in spec.buttons:
        if norm in button.heard:
            return button
    if norm.isdigit() and (slot is None or slot.type != "number"):
        index = int(norm) - 1
        if 0 <= index < len(spec.buttons):
            return spec.buttons[index]
    if nlu is not None and nlu.intent and nlu.confidence >= patterns.confidence:
        return next((b for b in spec.buttons if nlu.intent in b.intents), None)
    return None


def parse_number(patterns: Patterns, slot: SlotSpec, norm: str,
                 more_words: Mapping[str, int] | None = None) -> float | int | None:
    """A number in digits or words, within the slot's range."""
    found = _NUMBER.search(norm)
    number: float | None = float(found.group(1)) if found else None
    if number is None:
        padded = f" {norm} "
        words = {**patterns.number_words, **(more_words or {})}
        number = next(
            (float(v) for w, v in sorted(words.items(), key=lambda kv: -len(kv[0]))
             if f" {w} " in padded), None
        )
    if number is None:
        return None
    if slot.minimum is not None and number < slot.minimum:
        return None
    if slot.maximum is not None and number > slot.maximum:
        return None
    return int(number) if number.is_integer() else number


def parse_yes_no(patterns: Patterns, norm: str, nlu: NluResult | None,
                 understand: Understand | None = None) -> str | None:
    """'yes' or 'no' from words (ja, nee, oui, ...) or the affirm/deny intents."""
    words = set(norm.split())
    extra_yes = understand.yes_heard if understand is not None else frozenset()
    extra_no = understand.no_heard if understand is not None else frozenset()
    yes = (patterns.yes_heard | extra_yes) - {""}
    no = (patterns.no_heard | extra_no) - {""}
    if norm in no or (words & no and not words & yes):
        return "no"
    if norm in yes or (words & yes and not words & no):
        return "yes"
    if nlu is not None and nlu.confidence >= patterns.confidence:
        return {"affirm": "yes", "deny": "no"}.get(nlu.intent or "")
    return None


def _by_listening(content: Content, spec: StepSpec, slot: SlotSpec | None, text: str,
                  norm: str) -> ButtonSpec | None:
    """A button picked by a school year ("5de" picks the button matching "5") or by a mood
    word or emoji ("ni goe", "😭" pick the button whose value is that mood)."""
    understand = content.listening.understand
    if slot is None or slot.type != "number":
        year = school_year(understand, norm)
        if year is not None:
            digit = str(year)
            found = [b for b in spec.buttons if digit in b.match_heard]
            if len(found) == 1:
                return found[0]
    feeling = mood(understand, norm, text) if understand.moods else None
    if feeling is not None:
        return next((b for b in spec.buttons if b.value == feeling), None)
    return None


def place_from_entities(content: Content, nlu: NluResult | None) -> Any:
    """The first municipality or postcode entity the gazetteer knows, or None."""
    places = content.places
    if places is None or nlu is None:
        return None
    values = [e.value for e in nlu.entities if e.name in LOCATION_ENTITIES]
    return next((p for p in map(places.resolve, values) if p is not None), None)


def find_place(content: Content, text: str, nlu: NluResult | None) -> Any:
    """A place from the NLU's entities, else from the text itself (also in degraded mode)."""
    places = content.places
    if places is None:
        return None
    return place_from_entities(content, nlu) or places.resolve(text) or places.find_in_text(text)


def place_name(place: Any) -> str:
    """The municipality, or the name as typed when only the province is known (a postcode)."""
    return str(place.municipality or place.name)


def place_slots(place: Any) -> dict[str, Any]:
    """The slots a known place fills."""
    return {
        "municipality": place_name(place),
        "province": place.province,
        "network": place.network,
    }


def _maybe(value: Any) -> Answer | None:
    return None if value is None else Answer(value)
