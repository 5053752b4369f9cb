"""What each slot can hold, and the content that compares, sets or shows it against that.

A yes/no slot holds "yes" or "no"; a choice slot holds the value of a button that collects it
or a value a `set:` step gives it; a number slot holds a number. A condition, a button or a
`set:` that uses any other value is a silent bug: pressing "Ja, graag" would behave as "no".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from bot.flows.answers import SKIPPED
from bot.flows.conditions import Condition
from bot.flows.model import Content, FlowSpec, SlotSpec, StepSpec
from bot.flows.problems import Problem
from bot.flows.text import placeholders

YES_NO = ("yes", "no")
_YES_NO_WORDS = {"ja": "yes", "j": "yes", "true": "yes", "nee": "no", "n": "no", "false": "no"}


def possible_values(content: Content) -> dict[str, frozenset[str]]:
    """The values each yes/no and choice slot can get from the flows (skipped included)."""
    found: dict[str, set[str]] = {
        name: set(YES_NO) if slot.type == "yes_no" else set()
        for name, slot in content.slots.items()
        if slot.type in {"yes_no", "choice"}
    }
    for flow in content.flows.values():
        for step in flow.steps:
            if step.kind == "ask" and step.collect in found:
                if content.slots[step.collect].type == "choice":
                    found[step.collect] |= {b.value for b in step.buttons}
                if step.skippable:
                    found[step.collect].add(SKIPPED)
            for name, value in step.values.items():
                if name in found and isinstance(value, str):
                    found[name].add(value)
    return {name: frozenset(values) for name, values in found.items()}


def check(content: Content) -> list[Problem]:
    """Conditions, buttons and `set:` values that a slot can never hold; raw values in texts."""
    values = possible_values(content)
    problems: list[Problem] = []
    for flow in content.flows.values():
        for step in flow.steps:
            problems += _step(content, values, flow, step)
    problems += _summaries(content, values)
    return problems


def _step(
    content: Content, values: Mapping[str, frozenset[str]], flow: FlowSpec, step: StepSpec
) -> Iterator[Problem]:
    def problem(line: int | None, message: str, hint: str) -> Problem:
        return Problem(flow.file, line or step.line, message, hint, flow.id, step.id)

    for branch in step.next:
        if branch.condition is not None:
            for message, hint in condition_problems(branch.condition, content.slots, values):
                yield problem(branch.line, message, hint)
    slot = content.slots.get(step.collect or "") if step.kind == "ask" else None
    if slot is not None:
        for button in step.buttons:
            wrong = _value_problem(slot, button.value, values)
            if wrong:
                yield problem(
                    button.line,
                    f"button '{button.title}' gives the value '{button.value}', but {wrong[0]}",
                    wrong[1].replace("{field}", "value"),
                )
    for name, value in step.values.items():
        target = content.slots.get(name)
        if target is not None and value is not None and target.type != "choice":
            wrong = _value_problem(target, value, values)
            if wrong:
                message = f"'set' gives '{name}' the value '{value}', but {wrong[0]}"
                yield problem(step.line, message, wrong[1].replace("{field}", name + ":"))
    for text in [*step.texts, *(b.title for b in step.buttons), step.invalid or ""]:
        for name in sorted(placeholders(text)):
            shown = content.slots.get(name)
            if shown is not None and shown.type in {"choice", "yes_no"}:
                example = sorted(values.get(name, ())) or ["..."]
                yield problem(
                    step.line,
                    f"the text shows '{{{name}}}', the raw value of a {_kind(shown)} slot "
                    f"(e.g. '{example[0]}'), not words a pupil understands",
                    f"branch on it instead: 'next: - if: {name} == \"{example[0]}\"' to a step "
                    "with its own text",
                )


def condition_problems(
    condition: Condition, slots: Mapping[str, SlotSpec], values: Mapping[str, frozenset[str]]
) -> list[tuple[str, str]]:
    """(message, hint) for every comparison in a condition that can never be what it means."""
    found: list[tuple[str, str]] = []
    for op, name, literal in _comparisons(condition.tree):
        slot = slots.get(name)
        if slot is None:
            continue  # an undeclared slot is reported by the checker already
        if op not in {"==", "!="} and not isinstance(literal, float):
            found.append((
                f"condition '{condition.source}' compares '{name}' {op} a text",
                f"'<', '<=', '>' and '>=' need a number, e.g. {name} {op} 18",
            ))
            continue
        if isinstance(literal, bool):
            literal = "yes" if literal else "no"
        wrong = _value_problem(slot, literal, values)
        if wrong:
            shown = f'"{literal}"' if isinstance(literal, str) else _number(literal)
            found.append((
                f"condition '{condition.source}' compares '{name}' with {shown}, but {wrong[0]}",
                wrong[1].replace("{field}", f"{name} {op}"),
            ))
    return found


def _value_problem(
    slot: SlotSpec, value: Any, values: Mapping[str, frozenset[str]]
) -> tuple[str, str] | None:
    """Why `value` can never be in `slot` (what is wrong, how to fix it), or None.

    The hint carries `{field}` where the caller names what to rewrite.
    """
    if slot.type == "number":
        return _number_problem(slot, value)
    if slot.type not in {"yes_no", "choice"} or value == SKIPPED:
        return None
    text = _number(value) if isinstance(value, float) else str(value)
    known = values.get(slot.name, frozenset())
    if slot.type == "yes_no":
        if text in YES_NO:
            return None
        meant = _YES_NO_WORDS.get(text.casefold(), "yes")
        return (
            f"'{slot.name}' is a yes/no slot: it holds \"yes\" or \"no\"",
            f'write {{field}} "{meant}" (in English, with the quotes)',
        )
    if not known or text in known:
        return None  # a choice slot nobody gives values to is set by the code
    close = difflib.get_close_matches(text, sorted(known), n=1, cutoff=0.6)
    listed = ", ".join(sorted(known - {SKIPPED}))
    return (
        f"no button or 'set' ever gives '{slot.name}' the value '{text}'",
        (f'did you mean {{field}} "{close[0]}"? ' if close else "")
        + f"the values of '{slot.name}' are: {listed}",
    )


def _number_problem(slot: SlotSpec, value: Any) -> tuple[str, str] | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return (
            f"'{slot.name}' is a number slot",
            f"use a number, e.g. {{field}} {_number(slot.minimum or 0)}",
        )
    low, high = slot.minimum, slot.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        return (
            f"'{slot.name}' only holds numbers from {_number(low)} to {_number(high)}",
            f"use a number from {_number(low)} to {_number(high)}",
        )
    return None


def _summaries(content: Content, values: Mapping[str, frozenset[str]]) -> Iterator[Problem]:
    catalog = content.catalog
    if catalog is None:
        return
    for summary in catalog.summaries.values():
        for line in summary.lines:
            if line.condition is not None:
                for message, hint in condition_problems(line.condition, content.slots, values):
                    yield Problem("content/summaries.yml", line.line, message, hint)


def _comparisons(tree: tuple[Any, ...]) -> Iterator[tuple[str, str, Any]]:
    head = tree[0]
    if head in {"or", "and"}:
        yield from _comparisons(tree[1])
        yield from _comparisons(tree[2])
    elif head == "not":
        yield from _comparisons(tree[1])
    elif head == "cmp":
        _, op, name, literal = tree
        yield op, name, literal


def _kind(slot: SlotSpec) -> str:
    return "yes/no" if slot.type == "yes_no" else slot.type


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)
