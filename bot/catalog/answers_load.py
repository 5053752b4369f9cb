"""Load the question bank from content/answers/*.yml, with file:line problems."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.catalog.questions import AnswerEntry, FollowUp, QuestionBank, bank
from bot.flows.problems import Problem
from bot.flows.text import normalize
from bot.flows.yamlio import YamlDoc, load_yaml

FOLDER = "answers"
PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where docs/ lives (content may be a copy)
SPELLING = "_spelling.yml"
FAMILIES = frozenset(
    {
        "leerplicht",
        "truancy",
        "routes",
        "school_change",
        "bullying",
        "money",
        "exams",
        "privacy",
        "help",
        "parents",
        "wellbeing",
    }
)
MIN_EXAMPLES = 3
MAX_MESSAGES = 3
MAX_BUTTON = 30
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def load_answers(content_dir: Path) -> tuple[QuestionBank, list[Problem]]:
    """Every entry of every file in content/answers/; ids unique across files."""
    entries: dict[str, AnswerEntry] = {}
    spelling, problems = _spelling(content_dir / FOLDER / SPELLING)
    for path in sorted((content_dir / FOLDER).glob("*.yml")):
        if path.name.startswith("_"):
            continue
        name = f"content/{FOLDER}/{path.name}"
        doc, found = load_yaml(path, name)
        problems += found
        if doc is None or found:
            continue
        raw = doc.data.get("answers") if isinstance(doc.data, dict) else None
        if not isinstance(raw, dict):
            problems.append(
                Problem(
                    name,
                    1,
                    "the file needs a block 'answers:'",
                    "start with 'answers:' and indent each entry under it",
                )
            )
            continue
        for entry_id, value in raw.items():
            entry, found = _entry(str(entry_id), value, doc, name, content_dir.parent)
            problems += found
            if entry is None:
                continue
            if entry.id in entries:
                problems.append(
                    Problem(
                        name,
                        entry.line,
                        f"answer '{entry.id}' exists twice",
                        f"it is also in {entries[entry.id].file}: rename one",
                    )
                )
                continue
            entries[entry.id] = entry
    return bank(entries.values(), spelling), problems


def _spelling(path: Path) -> tuple[dict[str, str], list[Problem]]:
    """The map from pupils' spelling to the words the bank reads (optional file)."""
    if not path.is_file():
        return {}, []
    name = f"content/{FOLDER}/{path.name}"
    doc, problems = load_yaml(path, name)
    if doc is None or problems:
        return {}, problems
    raw = doc.data.get("spelling") if isinstance(doc.data, dict) else None
    if not isinstance(raw, dict):
        return {}, [Problem(name, 1, "the file needs a block 'spelling:'",
                            "write one line per word: 'ni: niet'")]
    found: dict[str, str] = {}
    for word, meant in raw.items():
        key, value = normalize(str(word)), normalize(str(meant or ""))
        if len(key.split()) != 1 or not value:
            problems.append(Problem(name, doc.lines.line(("spelling", word)),
                                    f"'{word}: {meant}' is not one word and its meaning",
                                    "write one word on the left and the word(s) it means "
                                    "on the right, e.g. 'kzen: ik ben'"))
            continue
        found[key] = value
    return found, problems


def _is_source(source: str, root: Path) -> bool:
    """A web page, or a document of this project about Wegwijs itself (docs/...)."""
    if source.startswith(("https://", "http://")):
        return True
    return source.startswith("docs/") and any(
        (base / source).is_file() for base in (root, PROJECT_ROOT))


def _entry(
    entry_id: str, raw: Any, doc: YamlDoc, name: str, root: Path
) -> tuple[AnswerEntry | None, list[Problem]]:
    line = doc.lines.line(("answers", entry_id))

    def at(*key: str | int) -> int | None:
        return doc.lines.line(("answers", entry_id, *key))

    if not isinstance(raw, dict):
        return None, [
            Problem(
                name,
                line,
                f"answer '{entry_id}' must be a block",
                "give it family, examples, answer, sources and reviewed",
            )
        ]
    problems: list[Problem] = []
    if not _ID.match(entry_id):
        problems.append(
            Problem(
                name,
                line,
                f"the id '{entry_id}' is not valid",
                "use lowercase letters, digits and '_' only",
            )
        )
    family = str(raw.get("family") or "")
    if family not in FAMILIES:
        problems.append(
            Problem(
                name,
                at("family"),
                f"unknown family '{family}'",
                f"use one of: {', '.join(sorted(FAMILIES))}",
            )
        )
    examples = _strings(raw.get("examples"))
    if len(examples) < MIN_EXAMPLES:
        problems.append(
            Problem(
                name,
                at("examples"),
                f"answer '{entry_id}' has {len(examples)} example questions",
                f"write at least {MIN_EXAMPLES}, as pupils would type them",
            )
        )
    answer = _strings(raw.get("answer"))
    if not 1 <= len(answer) <= MAX_MESSAGES:
        problems.append(
            Problem(
                name,
                at("answer"),
                f"answer '{entry_id}' has {len(answer)} messages",
                f"write 1 to {MAX_MESSAGES} short messages",
            )
        )
    sources = _strings(raw.get("sources"))
    if not sources or not all(_is_source(s, root) for s in sources):
        problems.append(
            Problem(
                name,
                at("sources"),
                f"answer '{entry_id}' needs sources",
                "list the web pages (https://...) where the facts come from; "
                "for facts about Wegwijs itself, a file in docs/ "
                "(e.g. docs/privacy.md)",
            )
        )
    reviewed = raw.get("reviewed")
    if not isinstance(reviewed, dt.date):
        problems.append(
            Problem(
                name,
                at("reviewed"),
                "'reviewed' must be a date",
                "write the day you checked the sources as 2026-12-06",
            )
        )
    follow_up, found = _follow_up(raw.get("follow_up"), name, at)
    problems += found
    entry = AnswerEntry(
        entry_id, family, examples, answer, follow_up, sources, str(reviewed or ""), name, line
    )
    return (None if problems else entry), problems


def _follow_up(raw: Any, name: str, at: Any) -> tuple[tuple[FollowUp, ...], list[Problem]]:
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        return (), [
            Problem(
                name,
                at("follow_up"),
                "'follow_up' must be a list of buttons",
                "write - {title: ..., flow: ...} or - {title: ..., route: ...}",
            )
        ]
    buttons: list[FollowUp] = []
    problems: list[Problem] = []
    for index, item in enumerate(raw):
        item = item if isinstance(item, Mapping) else {}
        title = str(item.get("title") or "")
        flow, route = item.get("flow"), item.get("route")
        if not title or (flow is None) == (route is None):
            problems.append(
                Problem(
                    name,
                    at("follow_up", index),
                    "a follow-up button needs a title and a flow or a route",
                    "write {title: 'Past dit bij mij?', route: duaal_leren}",
                )
            )
            continue
        if len(title) > MAX_BUTTON:
            problems.append(
                Problem(
                    name,
                    at("follow_up", index),
                    f"the button title '{title}' is longer than {MAX_BUTTON} characters",
                    "shorten it: buttons are cut on phones",
                    severity="warning",
                )
            )
        buttons.append(
            FollowUp(
                title, None if flow is None else str(flow), None if route is None else str(route)
            )
        )
    return tuple(buttons), problems


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int | float))
    return ()
