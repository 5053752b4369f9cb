"""What a pupil's free-text message says, read as a whole and against the waiting question.

`read` looks at everything at once: facts given in passing (age, year, school type, place, left
school), an adult writing about a young person, a request that interrupts any flow, a topic, a
feeling to reflect, small talk, a complaint ("dat heb ik al gezegd"), a request to repeat, and
a question the question bank answers. The engine decides what to do with it. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.flows import answers
from bot.flows.listening import Cue, mood, passing_facts
from bot.flows.model import BankAnswer, Content, StepSpec
from bot.flows.nlu import NluResult
from bot.flows.text import normalize

QUIT_INTENTS = frozenset({"want_to_quit_school", "want_to_work"})
STAYING_INTENT = "school_struggles"
GOODBYE_INTENT = "goodbye"
FEELING_DOWN = "feeling_down"


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything the bot understood in one message."""

    norm: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    adult: str | None = None
    global_flow: str | None = None
    topic_flow: str | None = None
    reflection: Cue | None = None
    reflection_words: Cue | None = None  # a reflection heard in the words themselves
    small_talk: Cue | None = None
    question: bool = False
    complaint: bool = False
    repeat: bool = False
    bank: BankAnswer | None = None


def read(content: Content, spec: StepSpec | None, text: str, nlu: NluResult | None) -> Reading:
    """Read one free-text message."""
    norm = normalize(text)
    listening = content.listening
    confidence = content.patterns.confidence
    reflection = listening.reflection(norm, nlu, confidence)
    small_talk = listening.small_talk(norm, nlu, confidence)
    return Reading(
        norm=norm,
        facts=_facts(content, spec, text, norm, nlu),
        adult=listening.adult(norm),
        global_flow=_global_flow(content, norm, nlu),
        topic_flow=_topic_flow(content, text, norm, nlu, reflection),
        reflection=reflection,
        reflection_words=listening.reflection(norm, None, confidence),
        small_talk=small_talk,
        question=listening.is_question(norm, text),
        complaint=listening.already_said.heard(norm, None, 1.0),
        repeat=listening.asks_repeat(norm),
        bank=content.questions.answer(text) if content.questions is not None else None,
    )


def corrected(content: Content, text: str, nlu: NluResult | None) -> NluResult | None:
    """A pupil who says they do NOT want to quit is not read as wanting to quit."""
    if nlu is None or nlu.intent not in QUIT_INTENTS:
        return nlu
    if not content.listening.says_not_quitting(normalize(text)):
        return nlu
    return NluResult(STAYING_INTENT, nlu.confidence, nlu.entities, nlu.ranking)


def _facts(content: Content, spec: StepSpec | None, text: str, norm: str,
           nlu: NluResult | None) -> dict[str, Any]:
    numeric = not _says_place(content, spec)
    facts: dict[str, Any] = passing_facts(content.listening.understand, norm, not numeric)
    place = answers.place_from_entities(content, nlu)
    if place is None and content.places is not None and not numeric:
        place = content.places.find_in_text(text)
    if place is not None and place.network is not None:
        facts.update(answers.place_slots(place))
        for slot in content.slots.values():
            if slot.type == "location":
                facts[slot.name] = answers.place_name(place)
    return facts


def _says_place(content: Content, spec: StepSpec | None) -> bool:
    """Places are looked for in free text unless the question itself asks for a number."""
    slot = content.slots.get(spec.collect or "") if spec is not None else None
    return slot is None or slot.type != "number"


def _global_flow(content: Content, norm: str, nlu: NluResult | None) -> str | None:
    """A request that interrupts any flow (a person, forget me, privacy, what is this bot)."""
    patterns = content.patterns
    intents = {k: v for k, v in patterns.global_intents.items() if k != GOODBYE_INTENT}
    if nlu is not None:
        if nlu.intent in intents and nlu.confidence >= patterns.confidence:
            return intents[nlu.intent or ""]
        return None
    padded = f" {norm} "
    for intent, words in patterns.keywords.items():
        if intent in intents and any(f" {normalize(w)} " in padded for w in words):
            return intents[intent]
    return None


def _topic_flow(content: Content, text: str, norm: str, nlu: NluResult | None,
                reflection: Cue | None) -> str | None:
    """The flow for what the message is about: from the NLU, else from the words heard."""
    patterns = content.patterns
    topics = patterns.topics
    intent: str | None = None
    if nlu is not None and nlu.intent in topics and nlu.confidence >= patterns.topic_confidence:
        intent = nlu.intent
    elif reflection is not None:
        intent = next((i for i in sorted(reflection.intents) if i in topics), None)
    elif mood(content.listening.understand, norm, text) in content.listening.low_moods:
        intent = FEELING_DOWN
    if (intent is None or intent in QUIT_INTENTS) and content.listening.says_not_quitting(norm):
        intent = STAYING_INTENT
    return topics.get(intent) if intent else None
