"""The check shared by `counsellor.yml` and `desk.yml`: every text the code needs is there and
uses only the placeholders the code fills in."""

from __future__ import annotations

from collections.abc import Mapping

from bot.flows.problems import Problem
from bot.flows.text import placeholders
from bot.flows.yamlio import YamlDoc

# section -> text key -> the placeholders the code fills in
Needed = Mapping[str, Mapping[str, frozenset[str]]]


def text_problems(doc: YamlDoc, display: str, needed: Needed) -> list[Problem]:
    """A problem for each needed text that is missing or uses a placeholder nobody fills in."""
    problems = []
    for section, required in needed.items():
        texts = doc.data[section]
        for key, allowed in required.items():
            if key not in texts:
                problems.append(
                    Problem(
                        display,
                        doc.lines.line((section,)),
                        f"text '{section}/{key}' is missing",
                        "the bot needs it; add it",
                    )
                )
                continue
            for name in sorted(placeholders(str(texts[key])) - allowed):
                problems.append(
                    Problem(
                        display,
                        doc.lines.line((section, key)),
                        f"text '{section}/{key}' uses '{{{name}}}', which the bot does not fill in",
                        "allowed here: " + (", ".join(sorted(allowed)) or "no placeholders"),
                    )
                )
    return problems
