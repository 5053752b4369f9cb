"""Load `content/`: YAML syntax, then JSON Schema, then the typed model. Collects all problems.

Over 400 lines on purpose: the schema-error hints (which field, which fix) belong next to the
loaders whose YAML paths they describe; split them out when a second loader needs them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.flows.conditions import ConditionSyntaxError, parse_condition
from bot.flows.model import (
    END,
    Branch,
    ButtonSpec,
    FlowSpec,
    Patterns,
    SlotSpec,
    StepKind,
    StepSpec,
)
from bot.flows.problems import Problem
from bot.flows.text import placeholders
from bot.flows.yamlio import YamlDoc, load_yaml

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SAY_AND_ASK = "a step has both 'say' and 'ask'; the bot would send only one of them"
SAY_AND_ASK_HINT = (
    "put the 'say' text in its own step before the question, or make it the first item "
    "of the 'ask' list"
)
STEP_KINDS: tuple[StepKind, ...] = ("say", "ask", "set", "action", "call", "link", "noop")
_STEP_KEYS = {
    "id",
    "next",
    "say",
    "ask",
    "collect",
    "buttons",
    "free_text",
    "skippable",
    "ask_again",
    "invalid",
    "set",
    "action",
    "call",
    "link",
    "noop",
}


# True while bot/content.py loads content whose files all passed their JSON Schemas before,
# with the same code (its record of checked content): there is nothing for a schema to find.
_schemas_passed: ContextVar[bool] = ContextVar("schemas_passed", default=False)


@contextmanager
def schemas_passed(passed: bool) -> Iterator[None]:
    """Within the block, `schema_problems` finds nothing when `passed` (see `_schemas_passed`)."""
    token = _schemas_passed.set(passed)
    try:
        yield
    finally:
        _schemas_passed.reset(token)


@cache
def _validator(schema_path: Path) -> Draft202012Validator:
    # imported on first use: a start with checked content never validates, and jsonschema
    # costs about 8 MiB of resident memory and 30 ms to import
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))


def relative(path: Path, root: Path) -> str:
    """Display a content path relative to the project, as editors know it."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def schema_problems(doc: YamlDoc, schema: Path, display: str) -> list[Problem]:
    """Validate a YAML document against a JSON Schema; every error becomes a Problem."""
    if _schemas_passed.get():
        return []
    problems = []
    for error in sorted(
        _validator(schema).iter_errors(doc.data), key=lambda e: list(map(str, e.path))
    ):
        path = tuple(error.absolute_path)
        flow, step, rest = _place(doc.data, path)
        where = "/".join(rest) or "(top)"
        problems.append(
            Problem(
                display,
                doc.lines.line(path),
                (f"at '{where}': " if rest or flow is None else "") + _explain(error),
                _hint(error, path),
                flow,
                step,
                stage="schema",
            )
        )
    return problems


def _place(data: Any, path: tuple[Any, ...]) -> tuple[str | None, str | None, list[str]]:
    """Flow and step of a path in a flows file, and the rest with list items named by id."""
    flow = step = None
    if len(path) >= 2 and path[0] == "flows":
        flow = str(path[1])
        if len(path) >= 4 and path[2] == "steps" and isinstance(path[3], int):
            step = _step_name(data, path)
            path = path[4:]
        else:
            path = path[2:]
    named: list[str] = []
    node = data
    for key in path:
        item = node[key] if _has(node, key) else None
        label = str(key)
        if isinstance(key, int) and isinstance(item, dict) and isinstance(item.get("id"), str):
            label = item["id"]
        named.append(label)
        node = item
    return flow, step, named


def _step_name(data: Any, path: tuple[Any, ...]) -> str:
    try:
        raw = data["flows"][path[1]]["steps"][path[3]]
    except (KeyError, IndexError, TypeError):
        raw = None
    step_id = raw.get("id") if isinstance(raw, dict) else None
    return step_id if isinstance(step_id, str) else f"step_{path[3] + 1}"


def _has(node: Any, key: Any) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)


def _explain(error: Any) -> str:
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        if {"say", "ask"} <= set(error.instance):
            return SAY_AND_ASK
        kinds = [k for k in STEP_KINDS if k in error.instance]
        if "ask" in error.instance and "collect" not in error.instance:
            return "an 'ask' step needs 'collect: <slot>' to know where the answer goes"
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            return f"a step needs exactly one of {', '.join(STEP_KINDS)} (found: {found})"
    if error.validator in {"additionalProperties", "unevaluatedProperties"}:
        message = str(error.message)
        for prefix in (
            "Additional properties are not allowed",
            "Unevaluated properties are not allowed",
        ):
            message = message.replace(prefix, "unknown key")
        return message
    return str(error.message)


def _hint(error: Any, path: tuple[Any, ...]) -> str:
    field = str(path[-1]) if path and not isinstance(path[-1], int) else ""
    parent = str(path[-2]) if len(path) > 1 else ""
    both = isinstance(error.instance, dict) and {"say", "ask"} <= set(error.instance)
    if error.validator == "oneOf" and both:
        return SAY_AND_ASK_HINT
    if error.validator == "pattern" and isinstance(error.instance, str):
        specific = _field_hint(field or parent, error.instance)
        if specific:
            return specific
    if isinstance(error.instance, bool) and error.validator in {"type", "pattern", "minLength"}:
        return (
            "YAML reads yes, no, on, off, true and false as true/false: put the text in "
            'quotes, e.g. "yes"'
        )
    if error.validator in {"additionalProperties", "unevaluatedProperties"}:
        return "check the spelling; the allowed keys are listed in content/README.md"
    if error.validator == "pattern":
        return "use lowercase letters, digits and '_' only, starting with a letter"
    if error.validator == "required":
        return "add the missing key"
    return "see content/README.md for the format"


_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def _field_hint(field: str, value: str) -> str:
    """A fix hint that fits the field: dates, links and phone numbers each have their form."""
    if field in {"reviewed", "date", "from", "to"} or _DMY.match(value):
        day_first = _DMY.match(value)
        if day_first:
            day, month, year = day_first.groups()
            return f"write the date as year-month-day: {year}-{int(month):02d}-{int(day):02d}"
        return "write the date as year-month-day, e.g. 2026-11-28"
    if field in {"url", "chat", "sources"} or value.startswith("www."):
        fixed = value if "://" in value else "https://" + value.removeprefix("http:")
        return f"a link starts with https:// (write {fixed})"
    if field == "phone":
        digits = re.sub(r"[^0-9+ ]", " ", value)
        return (
            "write only digits and spaces (and + for abroad), e.g. 09 123 45 67"
            + (f": {' '.join(digits.split())}" if digits.strip() else "")
        )
    return ""


# The only texts in texts.yml the bot fills something into (everything else is shown as is).
TEXT_PLACEHOLDERS: Mapping[str, frozenset[str]] = {"invalid_number": frozenset({"min", "max"})}


def load_texts(content_dir: Path) -> tuple[dict[str, str], list[Problem]]:
    """Load `texts.yml`."""
    doc, problems = load_checked(content_dir, content_dir / "texts.yml", "texts.schema.json")
    texts = doc.data.get("texts", {}) if doc and not problems else {}
    texts = {str(k): str(v) for k, v in texts.items()}
    for key, text in texts.items():
        allowed = TEXT_PLACEHOLDERS.get(key, frozenset())
        for name in sorted(placeholders(text) - allowed):
            assert doc is not None
            problems.append(
                Problem(
                    relative(content_dir / "texts.yml", content_dir),
                    doc.lines.line(("texts", key)),
                    f"text '{key}' uses '{{{name}}}', which the bot does not fill in: "
                    "the pupil would see nothing there",
                    "this text can use " + ", ".join(f"{{{a}}}" for a in sorted(allowed))
                    if allowed
                    else "write the words themselves; texts.yml cannot show slots",
                )
            )
    return texts, problems


def load_slots(content_dir: Path) -> tuple[dict[str, SlotSpec], list[Problem]]:
    """Load every `slots*.yml` file."""
    slots: dict[str, SlotSpec] = {}
    problems: list[Problem] = []
    for path in sorted(content_dir.glob("slots*.yml")):
        doc, found = load_checked(content_dir, path, "slots.schema.json")
        problems += found
        if doc is None or found:
            continue
        display = relative(path, content_dir)
        for name, spec in doc.data["slots"].items():
            if name in slots:
                problems.append(
                    Problem(
                        display,
                        doc.lines.line(("slots", name)),
                        f"slot '{name}' is declared twice",
                        f"it is also declared in {slots[name].file}",
                    )
                )
                continue
            slots[name] = SlotSpec(
                name,
                spec["type"],
                spec.get("min"),
                spec.get("max"),
                bool(spec.get("private", False)),
                doc.lines.line(("slots", name)),
                display,
            )
    return slots, problems


def load_patterns(content_dir: Path) -> tuple[Patterns, list[Problem]]:
    """Load `patterns.yml`."""
    doc, problems = load_checked(content_dir, content_dir / "patterns.yml", "patterns.schema.json")
    if doc is None or problems:
        return Patterns(), problems
    data = doc.data
    commands = data["commands"]
    misunderstood = data["not_understood"]
    return Patterns(
        start_flow=data["start_flow"],
        menu_flow=data.get("menu_flow", data["start_flow"]),
        commands={name: spec["flow"] for name, spec in commands.items()},
        resets=frozenset(name for name, spec in commands.items() if spec.get("resets")),
        command_descriptions={n: s.get("description", "") for n, s in commands.items()},
        exact=dict(data.get("exact", {})),
        global_intents=dict(data["global_intents"]),
        topics=dict(data["topics"]),
        keywords={k: tuple(v) for k, v in data.get("keywords", {}).items()},
        yes_words=tuple(data.get("yes_words", ())),
        no_words=tuple(data.get("no_words", ())),
        skip_words=tuple(data.get("skip_words", ())),
        number_words=dict(data.get("number_words", {})),
        rephrase=misunderstood["rephrase"],
        offer=misunderstood["offer"],
        max_misses=int(misunderstood.get("max_misses", 2)),
        confidence=float(data.get("confidence", 0.6)),
        topic_confidence=float(data.get("topic_confidence", 0.75)),
    ), []


def load_flows(content_dir: Path) -> tuple[dict[str, FlowSpec], list[Problem]]:
    """Load every file in `flows/`."""
    flows: dict[str, FlowSpec] = {}
    problems: list[Problem] = []
    for path in sorted((content_dir / "flows").glob("*.yml")):
        doc, found = load_checked(content_dir, path, "flows.schema.json")
        problems += found
        if doc is None or found:
            continue
        display = relative(path, content_dir)
        for flow_id, data in doc.data["flows"].items():
            if flow_id in flows:
                problems.append(
                    Problem(
                        display,
                        doc.lines.line(("flows", flow_id)),
                        f"flow '{flow_id}' is defined twice",
                        f"it is also defined in {flows[flow_id].file}; rename one",
                    )
                )
                continue
            flow, flow_problems = _flow(flow_id, data, doc, display)
            flows[flow_id] = flow
            problems += flow_problems
    return flows, problems


def _flow(
    flow_id: str, data: Mapping[str, Any], doc: YamlDoc, display: str
) -> tuple[FlowSpec, list[Problem]]:
    problems: list[Problem] = []
    steps = []
    for index, raw in enumerate(data["steps"]):
        path = ("flows", flow_id, "steps", index)
        step_id = raw.get("id") or f"step_{index + 1}"
        kind = next(k for k in STEP_KINDS if k in raw)
        line = doc.lines.line(path)
        if "say" in raw and "ask" in raw:  # the schema lets it pass when 'collect' is missing
            problems.append(
                Problem(display, doc.lines.line((*path, "ask")), SAY_AND_ASK, SAY_AND_ASK_HINT,
                        flow_id, step_id)
            )
        branches, branch_problems = _branches(raw.get("next"), doc, path, display, flow_id, step_id)
        problems += branch_problems
        texts = raw.get(kind) if kind in {"say", "ask"} else None
        button_lines = tuple(
            doc.lines.line((*path, "buttons", i)) for i in range(len(raw.get("buttons", ())))
        )
        steps.append(_step(raw, step_id, kind, line, texts, branches, button_lines))
    flow = FlowSpec(
        flow_id,
        display,
        doc.lines.line(("flows", flow_id)),
        str(data.get("title", flow_id)),
        str(data.get("description", "")),
        tuple(steps),
        data.get("resume_after_risk", "always"),  # the schema allows only the three policies
    )
    return flow, problems


def _step(
    raw: Mapping[str, Any],
    step_id: str,
    kind: StepKind,
    line: int | None,
    texts: Any,
    branches: tuple[Branch, ...],
    button_lines: tuple[int | None, ...] = (),
) -> StepSpec:
    as_tuple = (texts,) if isinstance(texts, str) else tuple(texts or ())
    params = {k: v for k, v in raw.items() if k not in _STEP_KEYS}
    target = raw.get("call") or raw.get("link")
    return StepSpec(
        id=step_id,
        kind=kind,
        line=line,
        texts=tuple(str(t) for t in as_tuple),
        collect=raw.get("collect"),
        buttons=tuple(
            ButtonSpec(
                str(b["title"]),
                str(b["value"]),
                tuple(b.get("intents", ())),
                tuple(b.get("match", ())),
                line,
            )
            for b, line in zip(raw.get("buttons", ()), button_lines, strict=True)
        ),
        free_text=bool(raw.get("free_text", True)),
        skippable=bool(raw.get("skippable", False)),
        ask_again=bool(raw.get("ask_again", False)),
        invalid=raw.get("invalid"),
        values=dict(raw.get("set", {})),
        action=raw.get("action"),
        params=params,
        flow_target=target,
        next=branches,
        explicit_id="id" in raw,
    )


def _branches(
    raw: Any, doc: YamlDoc, path: tuple[Any, ...], display: str, flow_id: str, step_id: str
) -> tuple[tuple[Branch, ...], list[Problem]]:
    if raw is None:
        return (), []
    if isinstance(raw, str):
        return (Branch(None, raw, doc.lines.line((*path, "next"))),), []
    branches: list[Branch] = []
    problems: list[Problem] = []
    for i, entry in enumerate(raw):
        line = doc.lines.line((*path, "next", i))
        if "else" in entry:
            branches.append(Branch(None, entry["else"], line))
            continue
        try:
            branches.append(Branch(parse_condition(entry["if"]), entry["then"], line))
        except ConditionSyntaxError as exc:
            problems.append(
                Problem(
                    display,
                    doc.lines.line((*path, "next", i, "if")),
                    f"condition '{entry['if']}' cannot be read: {exc}",
                    'write e.g. age >= 18 and topic == "quit"',
                    flow_id,
                    step_id,
                )
            )
    return tuple(branches), problems


def load_checked(
    content_dir: Path, path: Path, schema: str
) -> tuple[YamlDoc | None, list[Problem]]:
    """Load one content file: YAML syntax, then its JSON Schema (`schema` in content/schema)."""
    display = relative(path, content_dir)
    if not path.exists():
        return None, [Problem(display, None, "file is missing", "restore it from git")]
    doc, problems = load_yaml(path, display)
    if doc is None:
        return None, problems
    return doc, problems + schema_problems(doc, content_dir / "schema" / schema, display)


__all__ = ["END"]
