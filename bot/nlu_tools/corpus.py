"""The Rasa training data as plain labelled messages, for the safety screen's learned model.

The NLU data holds thousands of messages written the way pupils write: the `crisis` intent and
every other intent (everyday talk: greetings, yes/no, school, feelings without danger). The
safety model learns from them too, so that short everyday answers ("denk het niet", "ik wil
iemand spreken") are not mistaken for a crisis. The bot's image has no nlu/ folder, so
`scripts/build_safety_examples.py` writes them to bot/safety/data/nlu_examples.yml (shipped with
the package, not content for editors) and a test checks that file is up to date.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

CRISIS_INTENT = "crisis"
_ANNOTATION = (re.compile(r"\[([^\]]+)\]\([^)]+\)"), re.compile(r"\[([^\]]+)\]\{[^}]+\}"))

HEADER = """\
# GENERATED from nlu/data/*.yml by scripts/build_safety_examples.py: do not edit by hand.
# Edit the NLU training data instead, then run:  .venv/bin/python scripts/build_safety_examples.py
#
# The safety screen's learned model (safety.yml `model:`) learns from these messages too:
# the NLU intent `crisis` as crisis, every other intent as everyday messages (none). They
# teach it what ordinary pupil messages look like, so that a short answer such as "denk het
# niet" or "ik wil iemand spreken" does not get the crisis reply. Crisis categories and the
# hard non-crisis cases (hyperbole, jokes) come from content/safety_examples.yml.
"""


def plain(example: str) -> str:
    """An example as a pupil typed it: entity annotations removed, spaces folded."""
    for pattern in _ANNOTATION:
        example = pattern.sub(r"\1", example)
    return " ".join(example.split())


def read_intent_examples(data_dir: Path) -> dict[str, list[str]]:
    """Every intent's examples in the NLU data files, in file order."""
    found: dict[str, list[str]] = {}
    for path in sorted(data_dir.rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or ():
            if "intent" not in block:
                continue
            lines = str(block.get("examples", "")).splitlines()
            found.setdefault(str(block["intent"]), []).extend(
                plain(line.strip()[2:]) for line in lines if line.strip().startswith("- ")
            )
    return found


def render_safety_corpus(data_dir: Path) -> str:
    """The text of bot/safety/data/nlu_examples.yml for the NLU data in `data_dir`."""
    crisis: list[str] = []
    none: list[str] = []
    for intent, examples in sorted(read_intent_examples(data_dir).items()):
        (crisis if intent == CRISIS_INTENT else none).extend(examples)
    body = yaml.safe_dump(
        {"crisis": sorted(set(crisis)), "none": sorted(set(none) - set(crisis))},
        allow_unicode=True,
        width=10_000,
        sort_keys=False,
    )
    return HEADER + body
