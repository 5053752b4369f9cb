"""The content the Telegram tests run on: the real content, patched only while it is incomplete.

The Telegram tests need only what every version of the content has (the welcome menu, /help,
/privacy, the system texts). While other engineers are still writing their parts, the real
content may not validate; then a copy is used with stand-ins: a minimal `safety.yml`, and a
one-line flow for every flow that is named but missing (a placeholder file that duplicates a
finished flow is dropped). When the real content is valid it is used as it is.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from bot.content import load_content
from bot.flows.problems import Problem
from tests.support.conversation import CONTENT_DIR

_MISSING_FLOW = re.compile(r"(?:names flow|flow) '([a-z0-9_]+)'(?:, which does not exist| is "
                           r"missing)")
_PLACEHOLDERS = "topics_placeholder.yml"


def usable_content(scratch: Path) -> Path:
    """The real content dir when valid, else a patched copy under `scratch`."""
    content, problems = load_content(CONTENT_DIR)
    if content is not None:
        return CONTENT_DIR
    target = scratch / "content"
    shutil.copytree(CONTENT_DIR, target)
    for _ in range(3):
        _patch(target, [p for p in problems if p.severity == "error"])
        content, problems = load_content(target)
        if content is not None:
            return target
    raise AssertionError("\n".join(p.render() for p in problems))


def _patch(target: Path, errors: list[Problem]) -> None:
    if any("defined twice" in p.message and _PLACEHOLDERS in f"{p.file} {p.hint}"
           for p in errors):
        (target / "flows" / _PLACEHOLDERS).unlink(missing_ok=True)
        return
    if any(p.file.endswith("safety.yml") for p in errors):
        (target / "safety.yml").write_text(_SAFETY_STAND_IN, encoding="utf-8")
    missing = sorted({m.group(1) for p in errors if (m := _MISSING_FLOW.search(p.message))})
    if missing:
        stand_ins = {"flows": {flow: {"title": flow, "description": "test stand-in",
                                      "steps": [{"say": f"({flow})"}]} for flow in missing}}
        index = len(list((target / "flows").glob("zz_stand_in_*.yml")))
        (target / "flows" / f"zz_stand_in_{index}.yml").write_text(yaml.safe_dump(stand_ins))


_SAFETY_STAND_IN = """\
rules:
  suicide_self_harm:
    - {id: stand_in_suicide, level: crisis, patterns: ["zelfmoord"]}
  violence_abuse:
    - {id: stand_in_violence, level: crisis, patterns: ["mishandeld"]}
  acute_danger:
    - {id: stand_in_danger, level: crisis, patterns: ["levensgevaar"]}
harmless: []
helplines:
  intro: "Hulp:"
  lines:
    - {id: emergency, name: Noodnummer, number: "112", for: nood, hours: altijd,
       url: "https://www.112.be", source: "https://www.112.be", reviewed: 2025-01-31,
       text: "Bel 112"}
"""
