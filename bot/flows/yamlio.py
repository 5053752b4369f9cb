"""Safe YAML loading that remembers the line of every node, for precise error reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.flows.problems import Problem

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


def load_yaml(path: Path, display: str | None = None) -> tuple[YamlDoc | None, list[Problem]]:
    """Load one YAML file safely; syntax errors and duplicate keys become problems."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            Problem(name, None, f"cannot read the file: {exc}", "save the file as UTF-8 text")
        ]
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [
            Problem(
                name,
                line,
                f"YAML syntax error: {reason}",
                "check indentation (spaces, not tabs) and quotes around texts "
                "that contain ':' or '#'",
            )
        ]
    if node is None:
        return YamlDoc(path, None, LineMap()), []
    problems = [
        Problem(
            name,
            line,
            f"key '{key_path[-1]}' appears twice in the same block",
            "remove or rename one of them",
        )
        for key_path, line in duplicate_keys(node)
    ]
    lines = LineMap()
    data = _construct(node, (), lines, yaml.constructor.SafeConstructor())
    return YamlDoc(path, data, lines), problems
