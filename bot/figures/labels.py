"""The report's words, from content/figures.yml (editor-owned; no Dutch in the code)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import ContentError
from bot.flows.problems import Problem

FILE = "figures.yml"
REQUIRED = (
    "title", "intro", "period", "network", "all_networks", "unknown_network", "month", "detail",
    "count", "total", "suppressed", "suppression_note", "months_note", "waiting_title",
    "waiting_note", "nothing",
)


@dataclass(frozen=True)
class Labels:
    """The texts of the report and the names of the kinds of events."""

    texts: Mapping[str, str]
    kinds: Mapping[str, str]
    waiting: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.texts[key]


def load_labels(content_dir: Path) -> Labels:
    """Read content/figures.yml; a missing key is a content error naming the file."""
    path = content_dir / FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError([Problem(FILE, 1, f"cannot read it: {type(exc).__name__}",
                                    "fix the YAML (see content/README.md)")]) from None
    missing = [key for key in REQUIRED if not isinstance(data.get(key), str)]
    if missing:
        raise ContentError([Problem(FILE, 1, "missing texts: " + ", ".join(missing),
                                    "add them (copy them from git history)")])
    texts = {key: str(data[key]) for key in REQUIRED}
    kinds = {str(k): str(v) for k, v in (data.get("kinds") or {}).items()}
    waiting = {str(k): str(v) for k, v in (data.get("waiting") or {}).items()}
    return Labels(texts, kinds, waiting)
