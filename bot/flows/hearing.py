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
HUMAN_INTENT = "ask_human"
FEELING_DOWN = "feeling_down"
SURE_TOPIC = 0.9
FACT_WORDS = 4


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything the bot understood in one message."""

    norm: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    adult: str | None = None
    global_flow: str | None = None
    person: bool = False  # asks for a real person in words: heard before any answer
    topic_flow: str | None = None
    topic_sure: bool = False  # said in words, or the NLU is very sure: may be offered mid-question
    reflection: Cue | None = None
    reflection_words: Cue | None = None  # a reflection heard in the words themselves
    small_talk: Cue | None = None
    question: bool = False
    complaint: bool = False
    repeat: bool = False
    bank: BankAnswer | None = None


def read(content: Content, spec: StepSpec | None, text: str, nlu: NluResult | None,
         context: str = "", last_answer: str = "") -> Reading:
    """Read one free-text message. `context` is what the talk was about (the pupil's last
    answered question): a follow-up ("en hoeveel kost da?") is looked up with it."""
    norm = normalize(text)
    listening = content.listening
    patterns = content.patterns
    question = listening.is_question(norm, text)
    facts = _facts(content, spec, text, norm, nlu)
    # Only a fact ("5e jaar", "ik ben 16"): no feeling or topic is read into it.
    only_facts = bool(facts) and len(norm.split()) <= FACT_WORDS
    staying = listening.says_not_quitting(norm)
    words = _unless_staying(listening.reflection(norm, None, 1.0), staying)
    # The NLU's topic is a reason to reflect only when it is sure and the message is no question.
    by_intent = None if question or only_facts else listening.reflection(
        norm, nlu, patterns.topic_confidence)
    reflection = None if only_facts else _unless_staying(by_intent, staying) or words
    topic = None if only_facts else _topic_flow(content, text, norm, nlu, reflection)
    return Reading(
        norm=norm,
        facts=facts,
        adult=listening.adult(norm),
        global_flow=_global_flow(content, norm, nlu),
        person=_asks_person(content, norm),
        topic_flow=topic,
        topic_sure=topic is not None and (
            _topic_of(content, words) == topic
            or (nlu is not None and nlu.confidence >= SURE_TOPIC)),
        reflection=reflection,
        reflection_words=words,
        small_talk=listening.small_talk(norm, nlu, patterns.confidence),
        question=question,
        complaint=listening.already_said.heard(norm, None, 1.0),
        repeat=listening.asks_repeat(norm),
        bank=_bank(content, text, question, context, last_answer),
    )


def _bank(content: Content, text: str, question: bool, context: str,
          last_answer: str) -> BankAnswer | None:
    """The bank's answer; a follow-up question is looked up with its context, but never gets
    the answer it just had again."""
    if content.questions is None:
        return None
    found = content.questions.answer(text)
    if found is None and question and context:
        found = content.questions.answer(f"{text} {context}")
        if found is not None and found.id == last_answer:
            return None
    return found


def _unless_staying(cue: Cue | None, staying: bool) -> Cue | None:
    """A pupil who says they want to stay is not told they think about quitting."""
    if cue is not None and staying and cue.intents & QUIT_INTENTS:
        return None
    return cue


def _topic_of(content: Content, cue: Cue | None) -> str | None:
    if cue is None:
        return None
    intent = next((i for i in sorted(cue.intents) if i in content.patterns.topics), None)
    return content.patterns.topics.get(intent) if intent else None


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
        # a person asked for in words is heard whatever else the NLU reads into it
        return intents.get(HUMAN_INTENT) if _asks_person(content, norm) else None
    for intent in patterns.keywords:
        if intent in intents and _heard_words(content, intent, norm):
            return intents[intent]
    return None


def _asks_person(content: Content, norm: str) -> bool:
    """The pupil asks for a real person (not a bot, put through to someone) in words, and no
    other request is said in words ("ben jij een bot of een echte mens?" asks about the bot;
    the NLU's guess alone does not outweigh the words)."""
    patterns = content.patterns
    if HUMAN_INTENT not in patterns.global_intents or not _heard_words(content, HUMAN_INTENT, norm):
        return False
    others = set(patterns.global_intents) - {HUMAN_INTENT, GOODBYE_INTENT}
    return not any(_heard_words(content, intent, norm) for intent in others)


def _heard_words(content: Content, intent: str, norm: str) -> bool:
    padded = f" {norm} "
    return any(f" {w} " in padded for w in content.patterns.keywords_heard.get(intent, ()))


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
