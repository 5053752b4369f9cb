"""Safe YAML loading that remembers the line of every node, for precise error reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.flows.problems import Problem, Severity

PathKey = tuple[str | int, ...]


@dataclass(slots=True)
class LineMap:
    """Maps a path inside a YAML document (keys and list indexes) to a 1-based line."""

    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: PathKey) -> int | None:
        """Return the line of the node at `path`, or of its nearest ancestor."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """A loaded YAML file: its data and where each node stands."""

    path: Path
    data: Any
    lines: LineMap


# libyaml (C) is much faster; both are safe loaders and both keep line marks.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _construct(node: yaml.Node, path: PathKey, lines: LineMap,
               scalars: yaml.constructor.SafeConstructor) -> Any:
    lines.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = scalars.construct_object(key_node, deep=True)
            result[key] = _construct(value_node, (*path, str(key)), lines, scalars)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines, scalars) for i, item in enumerate(node.value)]
    return scalars.construct_object(node, deep=True)


def duplicate_keys(node: yaml.Node, path: PathKey = ()) -> list[tuple[PathKey, int]]:
    """Return the path and line of every mapping key that appears twice."""
    found: list[tuple[PathKey, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                found.append(((*path, key), key_node.start_mark.line + 1))
            seen.add(key)
            found.extend(duplicate_keys(value_node, (*path, key)))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found.extend(duplicate_keys(item, (*path, i)))
    return found


# Characters YAML refuses (it reports only a position in the stream, not a line).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_SYNTAX_HINT = (
    "check indentation (spaces, not tabs) and quotes around texts that contain ':' or '#'"
)


def load_yaml(path: Path, display: str | None = None) -> tuple[YamlDoc | None, list[Problem]]:
    """Load one YAML file safely; syntax errors and duplicate keys become problems."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            Problem(name, None, f"cannot read the file: {exc}", "save the file as UTF-8 text",
                    stage="syntax")
        ]
    control = _control_character(text, name)
    if control is not None:
        return None, [control]
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(exc, text, name)]
    if node is None:
        return YamlDoc(path, None, LineMap()), []
    problems = [
        Problem(
            name,
            line,
            f"key '{key_path[-1]}' appears twice in the same block",
            "remove or rename one of them",
            stage="syntax",
        )
        for key_path, line in duplicate_keys(node)
    ]
    lines = LineMap()
    data = _construct(node, (), lines, yaml.constructor.SafeConstructor())
    return YamlDoc(path, data, lines), problems


def _control_character(text: str, name: str) -> Problem | None:
    found = _CONTROL.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    return Problem(
        name,
        line,
        f"invisible control character U+{ord(found.group()):04X} in column {column}",
        "delete it: retype the words around it (it often comes with copy and paste)",
        stage="syntax",
    )


def _syntax_problem(exc: yaml.YAMLError, text: str, name: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context", None) or ""
    context_mark = getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    hint = _SYNTAX_HINT
    line = mark.line + 1 if mark is not None else None
    unclosed = _unclosed_quote(text, line)
    if unclosed is not None or ("quoted scalar" in context and context_mark is not None):
        # The scanner notices a missing closing quote only lines later (where the next quote
        # or the end of the file confuses it): the line that matters is where it was opened.
        line = unclosed or (context_mark.line + 1 if context_mark is not None else line)
        return Problem(
            name,
            line,
            "YAML syntax error: a quote is opened on this line but not closed",
            "end the text with the same quote it starts with (\" or ')",
            stage="syntax",
        )
    source = text.splitlines()
    before = source[mark.line][: mark.column + 1] if mark and mark.line < len(source) else ""
    if "\t" in before:
        reason = "a tab is used for indentation"
        hint = "replace the tab by spaces (2 per level)"
    elif "found character" in reason and "cannot start any token" in reason:
        reason = "a character that YAML cannot read here"
    return Problem(name, line, f"YAML syntax error: {reason}", hint, stage="syntax")


# A value that opens a quote and does not close it on the same line (texts are one line).
_OPEN_QUOTE = re.compile(
    r"""^\s*(?:-\s+)?(?:[\w-]+:\s+)?(?:"(?:[^"\\]|\\.)*|'(?:[^']|'')*)$"""
)


def _unclosed_quote(text: str, error_line: int | None) -> int | None:
    """The first line up to the error that opens a quote it does not close, or None."""
    last = error_line if error_line is not None else text.count("\n") + 1
    for number, line in enumerate(text.splitlines()[:last], start=1):
        if _OPEN_QUOTE.match(line.rstrip()):
            return number
    return None


def cut_by_comment(text: str, name: str) -> list[Problem]:
    """Unquoted texts followed by a ' #' on the same line: YAML dropped the rest as a comment."""
    node = yaml.compose(text, Loader=_LOADER)
    lines = text.splitlines()
    found: list[Problem] = []
    for scalar in _plain_scalars(node):
        end = scalar.end_mark
        if end.line >= len(lines):
            continue
        rest = lines[end.line][end.column :]
        if not rest.lstrip(" \t").startswith("#") or not rest[:1].isspace():
            continue
        value = str(scalar.value)
        if " " not in value:  # one word ("id: jac_gent  # unique") is an id with a comment
            continue
        comment = rest.lstrip(" \t")
        severity: Severity = "warning" if comment[1:2] in {" ", ""} else "error"
        found.append(
            Problem(
                name,
                end.line + 1,
                f"the text stops at '{value[-30:]}': YAML reads '{comment[:30]}' as a comment",
                f'put the whole text in double quotes: "{value} {comment}"'
                if severity == "error"
                else "put the text in double quotes if the '#' belongs to it; "
                "a comment goes on its own line",
                severity=severity,
            )
        )
    return found


def _plain_scalars(node: yaml.Node | None) -> list[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        plain = not node.style and isinstance(node.value, str)
        return [node] if plain and node.tag == "tag:yaml.org,2002:str" else []
    if isinstance(node, yaml.MappingNode):
        return [s for _, value in node.value for s in _plain_scalars(value)]
    if isinstance(node, yaml.SequenceNode):
        return [s for item in node.value for s in _plain_scalars(item)]
    return []
