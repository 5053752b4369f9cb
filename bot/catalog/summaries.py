"""Facts (`content/facts.yml`) and the summaries built from slots (`content/summaries.yml`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.catalog.files import CatalogFile, Sourced, sourced
from bot.flows.conditions import Condition, ConditionSyntaxError, parse_condition


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact a conversation tells, with its source."""

    id: str
    texts: tuple[str, ...]
    sourced: Sourced = field(default_factory=Sourced)


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One line of a summary: a text with slots, or a fact; shown when `condition` holds."""

    text: str | None = None
    fact: str | None = None
    condition: Condition | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary built from the slots (the plan, the motivation talk, the exit talk)."""

    id: str
    intro: str
    lines: tuple[SummaryLine, ...]
    outro: str
    empty: str


def parse_facts(ctx: CatalogFile) -> dict[str, Fact]:
    """The facts of a schema-checked facts.yml."""
    facts = {}
    for fact_id, data in ctx.doc.data["facts"].items():
        text = data["text"]
        texts = (text,) if isinstance(text, str) else tuple(text)
        facts[fact_id] = Fact(
            fact_id, texts, sourced(ctx, ("facts", fact_id), data, f"fact '{fact_id}'")
        )
    return facts


def parse_summaries(ctx: CatalogFile, facts: Mapping[str, Fact]) -> dict[str, Summary]:
    """The summaries of a schema-checked summaries.yml; unknown facts are reported."""
    summaries = {}
    for summary_id, raw in ctx.doc.data["summaries"].items():
        lines = []
        for i, entry in enumerate(raw["lines"]):
            path = ("summaries", summary_id, "lines", i)
            spec = {"text": entry} if isinstance(entry, str) else entry
            condition = _condition(ctx, path, spec.get("when"))
            fact = spec.get("fact")
            if fact is not None and fact not in facts:
                ctx.error(
                    path,
                    f"summary '{summary_id}' names fact '{fact}', which is not in facts.yml",
                    "use a fact id from content/facts.yml",
                )
            lines.append(SummaryLine(spec.get("text"), fact, condition, ctx.doc.lines.line(path)))
        summaries[summary_id] = Summary(
            summary_id,
            raw.get("intro", ""),
            tuple(lines),
            raw.get("outro", ""),
            raw.get("empty", ""),
        )
    return summaries


def _condition(ctx: CatalogFile, path: tuple[Any, ...], source: str | None) -> Condition | None:
    if source is None:
        return None
    try:
        return parse_condition(source)
    except ConditionSyntaxError as exc:
        ctx.error(
            (*path, "when"),
            f"condition '{source}' cannot be read: {exc}",
            'write e.g. plan_shared == "yes"',
        )
        return None
