"""The engine's answer to a pupil's free text: hear the whole message, then act on it.

Order (the waiting question wins by default):
1. an adult writing about a young person gets the path written for adults;
2. a real person asked for in words (the handoff), before any answer;
3. a clear answer to the waiting question is taken (with a reflection when it carries feeling);
   then a request that interrupts any flow (a person, forget me, privacy, what is this bot);
4. facts given in passing are remembered, and said back briefly;
5. a complaint ("dat heb ik al gezegd") gets a sorry and the bot moves on;
6. "wat zei je?" repeats the question;
7. a question the question bank answers gets its answer, then the waiting question again;
8. a looser answer to the waiting question (free text, a button word inside a sentence);
9. a topic: started when the bot was idle or at its menu, otherwise offered, never forced;
10. small talk: a short friendly line, then back to the question (a goodbye ends the turn);
11. something understood (a fact, a feeling): the question again, without "not understood";
12. only then: not understood, first with an example, then with buttons and a person.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.flows import answers, hearing
from bot.flows.actions import Button, Message
from bot.flows.answers import SKIPPED
from bot.flows.hearing import Reading
from bot.flows.listening import Cue
from bot.flows.model import BankAnswer, StepSpec
from bot.flows.nlu import NluResult
from bot.flows.run import GLOBAL_PREFIX, HUMAN_PAYLOAD, MAX_PAYLOAD, Run
from bot.flows.text import fill, normalize

NOTED_KEYS = ("age", "place", "school_grade", "left_school")
GREETING = "hello"
ANSWERED = "answered"  # memory: the id of the bank's last answer
ASKED = "asked"  # memory: the pupil's last question the bank answered (encrypted with the state)
MAX_CONTEXT = 200
STATEMENT_WORDS = 3  # a message of this many words or more is a statement, not noise


def respond(run: Run, text: str, nlu: NluResult | None) -> None:
    """React to one free-text message."""
    if not text.strip():
        run.say_text("empty_message")
        run.reask(idle_menu=True)
        return
    exact = run.patterns.exact.get(normalize(text))
    if exact:
        run.command(exact, "")
        return
    waiting = run.stack[-1] if run.stack else None
    spec = run.step_of(waiting) if waiting else None
    asking = spec if spec is not None and spec.kind == "ask" else None
    nlu = hearing.corrected(run.content, text, nlu)
    reading = hearing.read(run.content, asking, text, nlu, _context(run),
                           str(run.memory.get(ANSWERED, "")))
    if _adult(run, reading, text, nlu):
        return
    # A question is answered by the bank before the NLU's guess picks a button for it, and
    # before a general flow (privacy, what is this bot) that the bank answers more exactly.
    person = run.patterns.global_intents.get(hearing.HUMAN_INTENT, "")
    if reading.person and not any(frame.flow == person for frame in run.stack):
        run.interrupt(person)  # asking for a person is never taken as an answer
        return
    question_first = reading.question and reading.bank is not None
    strict_nlu = None if question_first else nlu
    if asking is not None and _answer(run, asking, reading, text, strict_nlu, strict=True):
        return
    informational = reading.global_flow in run.content.listening.informational
    if informational and asking is not None and asking.buttons and _answer(
            run, asking, reading, text, None, strict=False, buttons_only=True):
        return  # "anoniem chatten" names a button; the NLU's privacy guess does not win
    if reading.global_flow and not (question_first and informational):
        run.interrupt(reading.global_flow)
        return
    noted = _note_facts(run, asking, reading)
    filled = _fill_from_cue(run, reading)
    said = {**filled, **reading.facts}
    if asking is not None and _fits(asking, said.get(asking.collect or "")):
        run.answer(asking, said[asking.collect or ""])  # said in other words
        return
    if _repair(run, asking, reading):
        return
    # A statement answers the question first; a question is looked up in the bank first.
    if asking is not None and not reading.question and _answer(
            run, asking, reading, text, nlu, strict=False):
        return
    if reading.bank is not None:
        run.memory[ASKED] = text[:MAX_CONTEXT]
        run.memory[ANSWERED] = reading.bank.id
        _bank_answer(run, reading.bank)
        return
    if asking is not None and reading.question and _answer(
            run, asking, reading, text, nlu, strict=False):
        return
    if reading.topic_flow and _topic(run, asking, reading, text, nlu):
        return
    if reading.small_talk is not None:
        _small_talk(run, reading.small_talk, nlu)
        return
    if noted or reading.reflection is not None:
        _reflect(run, reading.reflection)
        run.reask(idle_menu=True)
        return
    if reading.question and run.content.listening.unknown_question:
        run.notes.append("unanswered_question")
        run.say(_pick(run, "unknown_question", run.content.listening.unknown_question))
        _back_to_question(run)
        return
    if len(reading.norm.split()) >= STATEMENT_WORDS and run.content.listening.heard \
            and not run.degraded:
        _heard(run, asking)
        return
    not_understood(run, asking)  # (with Rasa down, it says so and shows the buttons)


def _heard(run: Run, spec: StepSpec | None) -> None:
    """A statement the bot cannot place: acknowledge it and ask again; the second time in a
    row, offer the buttons and a person as well."""
    run.notes.append("acknowledged")
    run.misses += 1
    run.say(_pick(run, "heard", run.content.listening.heard))
    if run.misses < run.patterns.max_misses:
        _back_to_question(run)
        return
    _offer_help(run, spec, run.content.listening.fallback_second or run.patterns.offer)


def _adult(run: Run, reading: Reading, text: str, nlu: NluResult | None) -> bool:
    """An adult writing about a young person: the path written for adults, once."""
    listening = run.content.listening
    flow = listening.adult_flow
    if reading.adult is None or flow not in run.content.flows:
        return False
    if run.slots.get("adult_role") or any(f.flow == flow for f in run.stack):
        return False
    run.slots["adult_role"] = reading.adult
    run.notes.append("adult")
    run.say(listening.adult_noted)
    run.begin(flow, replace_all=True)
    _carry(run, reading, text, nlu)
    return True


def _answer(run: Run, spec: StepSpec, reading: Reading, text: str, nlu: NluResult | None,
            strict: bool, buttons_only: bool = False) -> bool:
    found = answers.interpret(run.content, spec, text, nlu, strict)
    if found is None:
        return False
    if buttons_only and not any(b.value == found.value for b in spec.buttons):
        return False
    for name, value in reading.facts.items():
        if name != spec.collect:
            run.slots[name] = value
    run.slots.update(found.slots)
    at_menu = bool(run.stack) and run.stack[-1].flow == run.patterns.menu_flow
    if found.value != SKIPPED and not at_menu:
        # an answer is reflected only for what its words say (the NLU may read a topic
        # into a one-word answer); at the menu the chosen flow's first lines acknowledge
        _reflect(run, reading.reflection_words)
    run.answer(spec, found.value)
    if at_menu and found.value != SKIPPED:
        # words that pick a menu button start a topic, as in _topic: they may answer its first
        # question too ("wiskunde lukt ni": the subject)
        _carry(run, reading, text, nlu)
    return True


def _fits(spec: StepSpec, value: object) -> bool:
    """A fact from the message answers the question: any value where it has no buttons,
    otherwise the value of one of its buttons."""
    if value is None:
        return False
    return not spec.buttons or any(b.value == value for b in spec.buttons)


def _fill_from_cue(run: Run, reading: Reading) -> dict[str, str]:
    """What the message's topic already answers ("ze pesten mij": what weighs most is
    bullying): those questions are not asked this turn."""
    cue = reading.reflection
    filled = dict(cue.fills) if cue is not None else {}
    for name, value in filled.items():
        run.slots[name] = value
        run.fresh.add(name)
    return filled


def _note_facts(run: Run, spec: StepSpec | None, reading: Reading) -> bool:
    """Remember what the pupil told about themselves in passing; say it back briefly (not to
    an adult: the facts are about the young person)."""
    new = {k: v for k, v in reading.facts.items() if run.slots.get(k) != v}
    if not new:
        return False
    run.slots.update(new)
    run.fresh.update(new)
    run.notes.append("noted")
    if run.slots.get("adult_role"):
        return True
    noted = run.content.listening.noted
    values = {**run.slots, **new}
    if new.get("school_grade") == "left":
        run.say(fill(noted.get("left_school", ""), values))
        new.pop("school_grade")
    for key in NOTED_KEYS:
        if key in new and key in noted:
            run.say(fill(noted[key], values))
    return True


def _repair(run: Run, spec: StepSpec | None, reading: Reading) -> bool:
    """A complaint that the bot asks again, or a request to repeat."""
    if reading.complaint:
        run.notes.append("complaint")
        run.say(fill(_variant(run, run.content.listening.already_said), run.slots))
        if spec is not None and spec.skippable:
            run.answer(spec, SKIPPED)
        else:
            run.reask(idle_menu=True)
        return True
    if reading.repeat and spec is not None:
        run.reask()
        return True
    return False


def _context(run: Run) -> str:
    """What the talk is about, for a follow-up question: the last question the bank answered,
    else the title of the flow the pupil is in."""
    asked = run.memory.get(ASKED)
    if isinstance(asked, str) and asked:
        return asked
    frame = run.stack[-1] if run.stack else None
    if frame is None or frame.flow == run.patterns.menu_flow:
        return ""
    flow = run.content.flows.get(frame.flow)
    return flow.title if flow is not None else ""


def _bank_answer(run: Run, answer: BankAnswer) -> None:
    """Answer the pupil's question first; then the conversation goes on where it was."""
    run.notes.append("question_answered")
    texts = [t for t in answer.texts if t.strip()]
    buttons = tuple(Button(title, payload[:MAX_PAYLOAD]) for title, payload in answer.follow_up)
    for text in texts[:-1]:
        run.say(text)
    if texts:
        run.messages.append(Message(texts[-1], buttons))
    _back_to_question(run, lead_in=len(texts) < 2)


def _topic(run: Run, spec: StepSpec | None, reading: Reading, text: str,
           nlu: NluResult | None) -> bool:
    """Start a topic when the bot is idle or at its menu; otherwise offer it, when the pupil
    said it in words or the NLU is very sure."""
    flow = reading.topic_flow or ""
    listening = run.content.listening
    if flow not in run.content.flows:
        return False
    if run.slots.get("adult_role") and flow not in listening.adult_topics:
        return False  # the pupil's flows are not for an adult
    at_menu = not run.stack or run.stack[-1].flow == run.patterns.menu_flow
    if spec is None or at_menu:
        run.begin(flow, replace_all=True)  # (its first lines acknowledge: no reflection)
        _carry(run, reading, text, nlu)
        return True
    if any(frame.flow == flow for frame in run.stack):
        return False  # already talking about it: the question stays
    if not reading.topic_sure:
        return False
    label = listening.labels.get(flow, run.content.flows[flow].title.lower())
    _reflect(run, reading.reflection)
    run.notes.append("switch_offered")
    run.messages.append(Message(
        fill(listening.switch_offer, {"label": label}),
        (Button(listening.switch_yes, f"{GLOBAL_PREFIX}switch:{flow}"),
         Button(listening.switch_no, f"{GLOBAL_PREFIX}stay:")),
    ))
    return True


def _carry(run: Run, reading: Reading, text: str, nlu: NluResult | None) -> None:
    """The message that started a topic may already answer its first question ("ni goe"
    starts how you feel, and answers "Hoe gaat het met je?")."""
    frame = run.stack[-1] if run.stack else None
    spec = run.step_of(frame) if frame else None
    if spec is None or spec.kind != "ask":
        return
    found = answers.interpret(run.content, spec, text, nlu, False)
    if found is None or found.value == SKIPPED or run.effects:
        return
    if not any(b.value == found.value for b in spec.buttons):
        return  # only a clear choice is carried, never the whole message as free text
    run.slots.update(found.slots)
    run.notes.append("carried")
    run.messages.pop()  # the question it answers is not shown
    run.answer(spec, found.value)


def _small_talk(run: Run, cue: Cue, nlu: NluResult | None) -> None:
    run.notes.append(f"small_talk:{cue.name}")
    if cue.name == GREETING and not run.stack:
        run.begin(run.patterns.start_flow)  # the welcome greets
        return
    goodbye = run.patterns.global_intents.get(hearing.GOODBYE_INTENT, "")
    idle = not run.stack or run.stack[-1].flow == run.patterns.menu_flow
    if cue.ends and idle and goodbye in run.content.flows and nlu is not None \
            and nlu.intent in cue.intents and nlu.confidence >= run.patterns.confidence:
        run.begin(goodbye, replace_all=True)  # the NLU heard a goodbye: the goodbye flow
        return
    run.say(fill(_variant(run, cue), run.slots))
    if cue.ends:
        return
    _back_to_question(run)


def _back_to_question(run: Run, lead_in: bool = True) -> None:
    frame = run.stack[-1] if run.stack else None
    spec = run.step_of(frame) if frame else None
    if spec is not None and spec.kind == "ask":
        lines = run.content.listening.back_to_question
        # at the menu nothing was under way: no "shall we go on?" before its question
        if lines and lead_in and frame is not None and frame.flow != run.patterns.menu_flow:
            run.say(fill(_pick(run, "back_to_question", lines), run.slots))
        run.reask()
    else:
        run.reask(idle_menu=True)


def _reflect(run: Run, cue: Cue | None) -> None:
    if cue is not None and cue.say:
        run.notes.append(f"reflected:{cue.name}")
        run.say(fill(_variant(run, cue), run.slots))


def _variant(run: Run, cue: Cue) -> str:
    return _pick(run, cue.name, cue.say)


def _pick(run: Run, key: str, lines: Sequence[str]) -> str:
    """The next of several lines: never the same one twice in a row."""
    if not lines:
        return ""
    last = dict(run.memory.get("variants", {}))
    index = (int(last.get(key, -1)) + 1) % len(lines)
    last[key] = index
    run.memory["variants"] = last
    return lines[index]


def not_understood(run: Run, spec: StepSpec | None) -> None:
    """First a rephrase with an example; then the buttons and a person; never the same line.
    A question's own `invalid:` text says exactly what it needs: a clarification."""
    run.notes.append("clarified" if spec is not None and spec.invalid else "not_understood")
    run.misses += 1
    listening = run.content.listening
    if run.degraded:
        run.say_text("degraded_hint")
        run.misses = max(run.misses, run.patterns.max_misses)
    if run.misses < run.patterns.max_misses:
        run.say(_first_fallback(run, spec))
        run.reask(idle_menu=False)
        return
    text = listening.fallback_second or run.patterns.offer
    if run.misses > run.patterns.max_misses:
        text = _first_fallback(run, spec)
    _offer_help(run, spec, text)


def _offer_help(run: Run, spec: StepSpec | None, text: str) -> None:
    """The question's buttons (or the menu) and a person, under one line."""
    buttons = (
        list(run.buttons_for(spec))
        if spec is not None
        else [Button(run.content.text("menu_button"), "!command:menu")]
    )
    buttons.append(Button(run.content.text("human_button"), HUMAN_PAYLOAD))
    run.messages.append(Message(fill(text, run.slots), tuple(buttons)))


def _first_fallback(run: Run, spec: StepSpec | None) -> str:
    listening = run.content.listening
    if spec is not None and spec.invalid:
        return fill(spec.invalid, run.slots)
    slot = run.content.slots.get(spec.collect or "") if spec is not None else None
    if slot is not None and slot.type == "number":
        low = slot.minimum if slot.minimum is not None else 0
        high = slot.maximum if slot.maximum is not None else 100
        return run.content.text("invalid_number", min=_plain(low), max=_plain(high))
    if slot is not None and slot.type in {"yes_no", "location"}:
        return run.content.text("invalid_yes_no" if slot.type == "yes_no" else "location_unknown")
    if not listening.fallback_first:
        return fill(run.patterns.rephrase, run.slots)
    example = listening.examples.get(_example_kind(run, spec), "")
    line = _pick(run, "fallback", listening.fallback_first)
    return fill(line, {**run.slots, "example": example}).strip()


def _example_kind(run: Run, spec: StepSpec | None) -> str:
    if spec is None or spec.kind != "ask":
        return "buttons" if spec is None else "free"
    slot = run.content.slots.get(spec.collect or "")
    kind = slot.type if slot is not None else "text"
    if kind == "number":
        return "number"
    if kind == "yes_no":
        return "yes_no"
    if kind == "location":
        return "place"
    return "buttons" if spec.buttons else "free"


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
