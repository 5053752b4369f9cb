"""Load `content/desk.yml`: the counsellor desk's quick replies and screen words.

Loaded with the rest of the content (`bot.content`), so `wegwijs content check` reports its
mistakes with file and line, and a content reload brings new desk texts to the desk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.flows.loader import load_checked, relative
from bot.flows.problems import Problem
from bot.flows.text import fill
from bot.handoff.required_texts import Needed, text_problems

FILE = "desk.yml"
# Each text the desk needs, with the placeholders it may use.
NEEDED: Needed = {
    "pupil": {
        "transferred_person": frozenset({"name"}),
        "transferred_network": frozenset(),
    },
    "counsellor": {"transferred": frozenset({"case", "target"})},
}


@dataclass(frozen=True)
class QuickReply:
    """A text a counsellor can pick, change and send."""

    title: str
    text: str


@dataclass(frozen=True)
class DeskTexts:
    """Quick replies, texts for the pupil and the group, and the words the page shows."""

    quick_replies: tuple[QuickReply, ...]
    pupil: Mapping[str, str]
    counsellor: Mapping[str, str]
    ui: Mapping[str, str]

    def p(self, key: str, **values: object) -> str:
        """A pupil-facing text with its placeholders filled."""
        return fill(self.pupil[key], values)

    def c(self, key: str, **values: object) -> str:
        """A text for the case's Telegram group with its placeholders filled."""
        return fill(self.counsellor[key], values)


def load(content_dir: Path) -> tuple[DeskTexts | None, list[Problem]]:
    """Load and check `desk.yml`: YAML, its schema, and the texts the desk needs."""
    path = content_dir / FILE
    doc, problems = load_checked(content_dir, path, "desk.schema.json")
    if doc is None or problems:
        return None, problems
    problems = text_problems(doc, relative(path, content_dir), NEEDED)
    if problems:
        return None, problems
    return _model(doc.data), []


def _model(data: Mapping[str, Any]) -> DeskTexts:
    return DeskTexts(
        tuple(QuickReply(str(r["title"]), str(r["text"])) for r in data["quick_replies"]),
        {str(k): str(v) for k, v in data["pupil"].items()},
        {str(k): str(v) for k, v in data["counsellor"].items()},
        {str(k): str(v) for k, v in data["ui"].items()},
    )
