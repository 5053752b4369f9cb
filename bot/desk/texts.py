"""The desk's editor-owned texts (`content/desk.yml`): quick replies and screen words."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import WegwijsError

FILE = "desk.yml"
# Each text the desk needs, with the placeholders it may use.
NEEDED: Mapping[str, Mapping[str, frozenset[str]]] = {
    "pupil": {
        "transferred_person": frozenset({"name"}),
        "transferred_network": frozenset(),
    },
    "counsellor": {"transferred": frozenset({"case", "target"})},
}


class DeskTextsError(WegwijsError):
    """content/desk.yml is missing, malformed, or lacks a text the desk needs."""


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
        return self.pupil[key].format(**values)

    def c(self, key: str, **values: object) -> str:
        """A text for the case's Telegram group with its placeholders filled."""
        return self.counsellor[key].format(**values)


def load_desk_texts(content_dir: Path) -> DeskTexts:
    """Read and check `content/desk.yml`; DeskTextsError says what to fix."""
    path = content_dir / FILE
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DeskTextsError(f"{path}: cannot read ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise DeskTextsError(f"{path}: expected sections quick_replies, pupil, counsellor, ui")
    sections: dict[str, dict[str, str]] = {}
    for section in ("pupil", "counsellor", "ui"):
        found = data.get(section)
        if not isinstance(found, dict):
            raise DeskTextsError(f"{path}: section '{section}' is missing")
        sections[section] = {str(k): str(v) for k, v in found.items()}
    for section, texts in NEEDED.items():
        for key, allowed in texts.items():
            if key not in sections[section]:
                raise DeskTextsError(f"{path}: text '{section}/{key}' is missing; add it")
            used = {f for _, f, _, _ in string.Formatter().parse(sections[section][key]) if f}
            if used - allowed:
                raise DeskTextsError(
                    f"{path}: text '{section}/{key}' uses unknown placeholder(s) "
                    f"{', '.join(sorted(used - allowed))}; allowed: {', '.join(sorted(allowed))}"
                )
    replies = data.get("quick_replies") or []
    if not isinstance(replies, list) or not all(
        isinstance(r, dict) and r.get("title") and r.get("text") for r in replies
    ):
        raise DeskTextsError(f"{path}: each quick reply needs a title and a text")
    return DeskTexts(
        tuple(QuickReply(str(r["title"]), str(r["text"])) for r in replies),
        sections["pupil"],
        sections["counsellor"],
        sections["ui"],
    )
