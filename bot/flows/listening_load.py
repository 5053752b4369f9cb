"""Load content/listening.yml into the `Listening` model, with file:line problems."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.flows.listening import Cue, Listening, Understand
from bot.flows.problems import Problem
from bot.flows.text import normalize
from bot.flows.yamlio import YamlDoc, load_yaml

FILE = "listening.yml"


def load_listening(content_dir: Path) -> tuple[Listening, list[Problem]]:
    """The listening model; an empty one (the bot then only hears its flows) when absent."""
    path = content_dir / FILE
    if not path.exists():
        return Listening(), [Problem(f"content/{FILE}", None, "the file is missing",
                                     "restore it from git", severity="warning")]
    doc, problems = load_yaml(path, f"content/{FILE}")
    if doc is None or problems:
        return Listening(), problems
    data = doc.data if isinstance(doc.data, dict) else {}
    reader = _Reader(doc)
    switch = reader.mapping(data, "switch")
    fallback = reader.mapping(data, "fallback")
    adults = reader.mapping(data, "adults")
    listening = Listening(
        reflections=reader.cues(data, "reflections"),
        smalltalk=reader.cues(data, "smalltalk"),
        back_to_question=reader.texts(data.get("back_to_question"), ("back_to_question",)),
        parent_match=reader.phrases(adults.get("parent_match"), ("adults", "parent_match")),
        teacher_match=reader.phrases(adults.get("teacher_match"), ("adults", "teacher_match")),
        adult_noted=str(adults.get("noted") or ""),
        adult_flow=str(adults.get("flow") or "adult"),
        adult_topics=frozenset(str(f) for f in adults.get("topics") or ()),
        not_quitting=reader.phrases(reader.mapping(data, "not_quitting").get("match"),
                                    ("not_quitting", "match")),
        already_said=reader.cue("already_said", reader.mapping(data, "already_said"),
                                ("already_said",)),
        repeat=reader.phrases(reader.mapping(data, "repeat").get("match"), ("repeat", "match")),
        told_before=str(data.get("told_before") or ""),
        again_button=str(data.get("again_button") or ""),
        switch_offer=str(switch.get("offer") or ""),
        switch_yes=str(switch.get("yes") or ""),
        switch_no=str(switch.get("no") or ""),
        labels={str(k): str(v) for k, v in reader.mapping(switch, "labels").items()},
        noted={str(k): str(v) for k, v in reader.mapping(data, "noted").items()},
        understand=reader.understand(reader.mapping(data, "understand")),
        fallback_first=reader.texts(fallback.get("first"), ("fallback", "first")),
        examples={k.removeprefix("example_"): str(v) for k, v in fallback.items()
                  if k.startswith("example_")},
        fallback_second=str(fallback.get("second") or ""),
        remembered=frozenset(str(s) for s in data.get("remembered") or ()),
        question_words=reader.phrases(data.get("question_words"), ("question_words",)),
        unknown_question=reader.texts(data.get("unknown_question"), ("unknown_question",)),
        heard=reader.texts(data.get("heard"), ("heard",)),
        low_moods=frozenset(str(m) for m in data.get("low_moods") or ()),
        informational=frozenset(str(f) for f in data.get("informational") or ()),
    )
    return listening, reader.problems


class _Reader:
    """Reads the parts of the file and collects what is wrong, with lines."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def _problem(self, path: tuple[str | int, ...], message: str, hint: str) -> None:
        self.problems.append(Problem(f"content/{FILE}", self.doc.lines.line(path), message, hint))

    def mapping(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._problem((key,), f"'{key}' must be a block of named entries",
                          "indent the entries under it as 'name: ...'")
            return {}
        return value

    def texts(self, value: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._problem(path, "expected a text or a list of texts",
                          'write - "..." for each text, in quotes')
            return ()
        return tuple(value)

    def phrases(self, value: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
        return tuple(p for p in (normalize(str(t)) for t in self.texts(
            [str(v) for v in value] if isinstance(value, list) else value, path)) if p)

    def cue(self, name: str, raw: Mapping[str, Any], path: tuple[str | int, ...]) -> Cue:
        return Cue(
            name,
            self.phrases(raw.get("match"), (*path, "match")),
            frozenset(str(i) for i in raw.get("intents") or ()),
            self.texts(raw.get("say"), (*path, "say")),
            bool(raw.get("ends")),
            {str(k): str(v) for k, v in self.mapping(raw, "fills").items()},
        )

    def cues(self, data: Mapping[str, Any], key: str) -> tuple[Cue, ...]:
        return tuple(
            self.cue(str(name), raw if isinstance(raw, dict) else {}, (key, str(name)))
            for name, raw in self.mapping(data, key).items()
        )

    def understand(self, raw: Mapping[str, Any]) -> Understand:
        return Understand(
            ordinals=_numbers(raw.get("ordinals")),
            school_types={str(k): self.phrases(v, ("understand", "school_types", str(k)))
                          for k, v in self.mapping(raw, "school_types").items()},
            left_school=self.phrases(raw.get("left_school"), ("understand", "left_school")),
            numbers=_numbers(raw.get("numbers")),
            yes=tuple(str(w) for w in raw.get("yes") or ()),
            no=tuple(str(w) for w in raw.get("no") or ()),
            moods={str(k): tuple(str(w) for w in v or ())
                   for k, v in self.mapping(raw, "moods").items()},
            age_phrases=tuple(normalize(p.replace("{n}", "nnn")).replace("nnn", "{n}")
                              for p in self.texts(raw.get("age_phrases"),
                                                  ("understand", "age_phrases"))),
            year_words=self.phrases(raw.get("year_words"), ("understand", "year_words")),
            units=self.phrases(raw.get("units"), ("understand", "units")),
            mood_not_after=self.phrases(raw.get("mood_not_after"),
                                        ("understand", "mood_not_after")),
            mood_between=frozenset(self.phrases(raw.get("mood_between"),
                                                ("understand", "mood_between"))),
            grades={int(year): str(grade)
                    for grade, years in self.mapping(raw, "grades").items()
                    for year in (years or ()) if isinstance(year, int)},
        )


def _numbers(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    return {normalize(str(k)): int(v) for k, v in raw.items() if isinstance(v, int)}
