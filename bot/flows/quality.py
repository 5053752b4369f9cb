"""Content quality: B1 readability of everything a pupil reads, and catalog references in flows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.flows.model import Content, FlowSpec, StepSpec
from bot.flows.problems import Problem
from bot.flows.text import placeholders

MAX_SENTENCE_WORDS = 20
RESOURCE_TOPICS = frozenset(
    {"study_choice", "school_problems", "wellbeing", "home", "violence", "work", "money", "crisis"}
)
RESOURCE_LIMITS = (2, 4)
_URL = re.compile(r"(https?://|www\.)\S+|\S+@\S+\.\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[\w{}'’-]+")


def long_sentences(text: str, limit: int = MAX_SENTENCE_WORDS) -> list[tuple[int, str]]:
    """The sentences of `text` with more than `limit` words, with their word counts."""
    found = []
    for sentence in _SENTENCE_END.split(_URL.sub("link", text)):
        words = _WORD.findall(sentence)
        if len(words) > limit:
            found.append((len(words), sentence.strip()))
    return found


def check(content: Content) -> list[Problem]:
    """Readability warnings and catalog cross-references (errors) over all content."""
    problems = list(_flow_readability(content))
    problems += _catalog_readability(content)
    for flow in content.flows.values():
        for step in flow.steps:
            problems += _step_references(content, flow, step)
    problems += _summary_slots(content)
    return problems


def _warn(
    file: str, line: int | None, text: str, flow: str | None = None, step: str | None = None
) -> Iterator[Problem]:
    for count, sentence in long_sentences(text):
        short = sentence if len(sentence) <= 60 else sentence[:57] + "..."
        yield Problem(
            file,
            line,
            f"sentence of {count} words is long for B1 Dutch: '{short}'",
            f"split it: at most {MAX_SENTENCE_WORDS} words, 15 is better",
            flow,
            step,
            "warning",
        )


def _flow_readability(content: Content) -> Iterator[Problem]:
    for flow in content.flows.values():
        for step in flow.steps:
            for text in [*step.texts, *(b.title for b in step.buttons)]:
                yield from _warn(flow.file, step.line, text, flow.id, step.id)


def _catalog_readability(content: Content) -> Iterator[Problem]:
    catalog = content.catalog
    if catalog is None:
        return
    for route in catalog.routes.values():
        for text in (route.short, route.what, route.qualification, route.cost, route.duration):
            yield from _warn(route.sourced.file, route.sourced.line, text)
    for resource in catalog.resources:
        yield from _warn(resource.sourced.file, resource.sourced.line, resource.what)
    for fact in catalog.facts.values():
        for text in fact.texts:
            yield from _warn(fact.sourced.file, fact.sourced.line, text)
    for summary in catalog.summaries.values():
        for line in summary.lines:
            yield from _warn("content/summaries.yml", line.line, line.text or "")


def _step_references(content: Content, flow: FlowSpec, step: StepSpec) -> list[Problem]:
    catalog = content.catalog
    if catalog is None:
        return []
    found: list[str] = []
    params: dict[str, Any] = dict(step.params)
    if step.action == "tell" and params.get("fact") not in catalog.facts:
        found.append(f"fact '{params.get('fact')}' is not in content/facts.yml")
    if step.action == "summary" and params.get("of") not in catalog.summaries:
        found.append(f"summary '{params.get('of')}' is not in content/summaries.yml")
    route = params.get("route")
    if step.action == "explain_route" and route is not None and route not in catalog.routes:
        found.append(f"route '{params['route']}' is not in content/paths.yml")
    if step.action == "show_routes":
        found += [
            f"route '{r}' is not in content/paths.yml"
            for r in params.get("routes", ())
            if r not in catalog.routes
        ]
    if step.action == "show_resources":
        topic = params.get("topic")
        if topic is not None and topic not in RESOURCE_TOPICS:
            topics = ", ".join(sorted(RESOURCE_TOPICS))
            found.append(f"topic '{topic}' is unknown; use one of {topics}")
        limit = params.get("limit")
        low, high = RESOURCE_LIMITS
        if limit is not None and not (isinstance(limit, int) and low <= limit <= high):
            found.append(f"limit must be a number from {low} to {high}")
    if step.kind == "ask" and step.collect == "route_pick":
        found += [
            f"button value '{b.value}' is not a route id (or 'done')"
            for b in step.buttons
            if b.value != "done" and b.value not in catalog.routes
        ]
    return [
        Problem(
            flow.file,
            step.line,
            message,
            "fix the id, or add it to the catalog file",
            flow.id,
            step.id,
        )
        for message in found
    ]


def _summary_slots(content: Content) -> Iterator[Problem]:
    catalog = content.catalog
    if catalog is None:
        return
    for summary in catalog.summaries.values():
        for line in summary.lines:
            names = placeholders(line.text or "")
            if line.condition is not None:
                names |= set(line.condition.slots)
            for name in sorted(names - set(content.slots)):
                yield Problem(
                    "content/summaries.yml",
                    line.line,
                    f"summary '{summary.id}' uses slot '{name}', which is not declared",
                    "declare it in a slots file or fix the spelling",
                )
