"""Dialogue tests as editors write them in `content/tests/*.yml`: parsed with line numbers.

A dialogue is a list of turns. Each turn is one thing the pupil does (`pupil:` text, `press:` a
button title) and what the bot must do in reply (`says`, `says_one_of`, `not_says`, `buttons`,
`at`, `handoff`, `safety`, `max_messages`). See content/README.md, "Dialogue tests".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.flows.nlu import Entity, NluResult
from bot.flows.problems import Problem
from bot.flows.yamlio import LineMap, load_yaml

ACTIONS = ("pupil", "press")
EXPECTATIONS = (
    "says", "says_one_of", "not_says", "buttons", "not_buttons", "at", "handoff", "safety",
    "max_messages", "understood",
)
SAFETY_LEVELS = ("crisis", "check", "care", "none")
DIALOGUE_KEYS = ("name", "who", "start", "slots", "turns", "nlu")


@dataclass(frozen=True, slots=True)
class Expect:
    """What the bot must do in reply to one turn; None means "not checked"."""

    says: tuple[str, ...] = ()
    says_one_of: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()
    not_buttons: tuple[str, ...] = ()
    at: str | None = None
    handoff: bool | None = None
    safety: str | None = None
    max_messages: int | None = None
    understood: bool | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """One pupil action and the expectations on the reply."""

    line: int | None
    text: str | None = None
    press: str | None = None
    nlu: NluResult | None = None
    expect: Expect = field(default_factory=Expect)

    @property
    def shown(self) -> str:
        """The pupil's action as the report shows it."""
        return f"[{self.press}]" if self.press is not None else str(self.text)


@dataclass(frozen=True, slots=True)
class Dialogue:
    """A whole conversation to run against the bot."""

    name: str
    file: str
    line: int | None
    turns: tuple[Turn, ...]
    who: str = "pupil"
    start: str | None = None
    slots: Mapping[str, Any] = field(default_factory=dict)
    # `nlu: rasa` in the file: this dialogue only makes sense with the real Rasa model
    needs_rasa: bool = False


def load_dialogues(paths: list[Path], root: Path) -> tuple[list[Dialogue], list[Problem]]:
    """Parse every dialogue file; problems name file and line."""
    dialogues: list[Dialogue] = []
    problems: list[Problem] = []
    for path in paths:
        name = _display(path, root)
        doc, found = load_yaml(path, name)
        problems += found
        if doc is None or found:
            continue
        data = doc.data
        if not isinstance(data, dict) or not isinstance(data.get("dialogues"), list):
            problems.append(Problem(name, 1, "a dialogue file needs a list 'dialogues:'",
                                    "start the file with 'dialogues:' and a list of '- name: ...'"))
            continue
        for index, raw in enumerate(data["dialogues"]):
            dialogue, errors = _dialogue(raw, ("dialogues", index), name, doc.lines)
            problems += errors
            if dialogue is not None:
                dialogues.append(dialogue)
    return dialogues, problems


def _dialogue(
    raw: Any, path: tuple[str | int, ...], file: str, lines: LineMap
) -> tuple[Dialogue | None, list[Problem]]:
    line = lines.line(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("turns"), list) or not raw["turns"]:
        return None, [Problem(file, line, "a dialogue needs 'name:' and a list 'turns:'",
                              "add '  turns:' with at least one '- pupil: ...'")]
    problems = [
        Problem(file, lines.line((*path, key)), f"unknown key '{key}' in a dialogue",
                f"use one of: {', '.join(DIALOGUE_KEYS)}")
        for key in raw if key not in DIALOGUE_KEYS
    ]
    slots = raw.get("slots") or {}
    if not isinstance(slots, dict):
        problems.append(Problem(file, lines.line((*path, "slots")), "'slots' must be a mapping",
                                "write e.g. 'slots: {age: 16, network: limburg}'"))
        slots = {}
    turns: list[Turn] = []
    for index, raw_turn in enumerate(raw["turns"]):
        turn, errors = _turn(raw_turn, (*path, "turns", index), file, lines)
        problems += errors
        if turn is not None:
            turns.append(turn)
    name = str(raw.get("name") or f"dialogue on line {line}")
    dialogue = Dialogue(name, file, line, tuple(turns), str(raw.get("who") or "pupil"),
                        raw.get("start"), slots, raw.get("nlu") == "rasa")
    return (None if problems else dialogue), problems


def _turn(
    raw: Any, path: tuple[str | int, ...], file: str, lines: LineMap
) -> tuple[Turn | None, list[Problem]]:
    line = lines.line(path)
    if isinstance(raw, str):
        return Turn(line, text=raw), []
    if not isinstance(raw, dict):
        return None, [Problem(file, line, "a turn must be '- pupil: <text>' or '- press: <button>'",
                              "start the turn with 'pupil:' or 'press:'")]
    problems = [
        Problem(file, lines.line((*path, key)), f"unknown key '{key}' in a turn",
                f"use 'pupil' or 'press', 'nlu', and checks: {', '.join(EXPECTATIONS)}")
        for key in raw if key not in (*ACTIONS, "nlu", *EXPECTATIONS)
    ]
    actions = [key for key in ACTIONS if key in raw]
    if len(actions) != 1:
        problems.append(Problem(file, line, "a turn needs exactly one of 'pupil:' or 'press:'",
                                "write what the pupil types after 'pupil:', or a button title "
                                "after 'press:'"))
        return None, problems
    nlu, found = _nlu(raw.get("nlu"), (*path, "nlu"), file, lines)
    problems += found
    expect, found = _expect(raw, path, file, lines)
    problems += found
    value = str(raw[actions[0]])
    turn = Turn(line, text=value if actions[0] == "pupil" else None,
                press=value if actions[0] == "press" else None, nlu=nlu, expect=expect)
    return (None if problems else turn), problems


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _expect(
    raw: Mapping[str, Any], path: tuple[str | int, ...], file: str, lines: LineMap
) -> tuple[Expect, list[Problem]]:
    problems: list[Problem] = []
    safety = raw.get("safety")
    if safety is not None and safety not in SAFETY_LEVELS:
        problems.append(Problem(file, lines.line((*path, "safety")),
                                f"'safety' is '{safety}'", "use crisis, check, care or none"))
    for key in ("handoff", "understood"):
        if key in raw and not isinstance(raw[key], bool):
            problems.append(Problem(file, lines.line((*path, key)),
                                    f"'{key}' must be true or false",
                                    f"write '{key}: true' or '{key}: false'"))
    most = raw.get("max_messages")
    if most is not None and (not isinstance(most, int) or isinstance(most, bool) or most < 0):
        problems.append(Problem(file, lines.line((*path, "max_messages")),
                                "'max_messages' must be a whole number", "write e.g. 3"))
    expect = Expect(
        says=_texts(raw.get("says")),
        says_one_of=_texts(raw.get("says_one_of")),
        not_says=_texts(raw.get("not_says")),
        buttons=_texts(raw.get("buttons")),
        not_buttons=_texts(raw.get("not_buttons")),
        at=None if raw.get("at") is None else str(raw["at"]),
        handoff=raw.get("handoff") if isinstance(raw.get("handoff"), bool) else None,
        safety=safety if safety in SAFETY_LEVELS else None,
        max_messages=most if isinstance(most, int) and not isinstance(most, bool) else None,
        understood=raw.get("understood") if isinstance(raw.get("understood"), bool) else None,
    )
    return expect, problems


def _nlu(
    raw: Any, path: tuple[str | int, ...], file: str, lines: LineMap
) -> tuple[NluResult | None, list[Problem]]:
    """`nlu: {intent: truancy, confidence: 0.9, municipality: Genk}` or `nlu: truancy`."""
    if raw is None:
        return None, []
    if isinstance(raw, str):
        return NluResult(raw, 0.95), []
    if not isinstance(raw, dict):
        return None, [Problem(file, lines.line(path), "'nlu' must be an intent or a mapping",
                              "write 'nlu: truancy' or 'nlu: {intent: truancy, confidence: 0.9}'")]
    intent = raw.get("intent")
    confidence = raw.get("confidence", 0.95)
    if not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        return None, [Problem(file, lines.line((*path, "confidence")),
                              "'confidence' must be a number from 0 to 1", "write e.g. 0.9")]
    entities = tuple(
        Entity(str(key), str(value), str(value))
        for key, value in raw.items() if key not in ("intent", "confidence")
    )
    return NluResult(None if intent is None else str(intent), float(confidence), entities), []


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
