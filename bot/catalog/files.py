"""Reading one catalog file: YAML with line numbers, its JSON schema, and sourced facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.flows.loader import relative, schema_problems
from bot.flows.problems import Problem
from bot.flows.yamlio import YamlDoc, load_yaml

REVIEW_MAX_AGE = dt.timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Sourced:
    """Where a fact comes from and when an editor last checked it."""

    sources: tuple[str, ...] = ()
    reviewed: dt.date | None = None
    file: str = ""
    line: int | None = None


@dataclass
class CatalogFile:
    """One file being read: its document, display name and the problems found."""

    doc: YamlDoc
    display: str
    today: dt.date
    problems: list[Problem]

    def error(self, path: tuple[Any, ...], message: str, hint: str) -> None:
        """Report an error at the line of `path`."""
        self.problems.append(Problem(self.display, self.doc.lines.line(path), message, hint))

    def warn(self, path: tuple[Any, ...], message: str, hint: str) -> None:
        """Report a warning at the line of `path`."""
        self.problems.append(
            Problem(self.display, self.doc.lines.line(path), message, hint, severity="warning")
        )


def read(
    content_dir: Path, name: str, schema: str, today: dt.date
) -> tuple[CatalogFile | None, list[Problem]]:
    """Read `name` and check it against `schema`; None (with the problems) when it fails."""
    path = content_dir / name
    display = relative(path, content_dir)
    if not path.exists():
        return None, [Problem(display, None, "file is missing", "restore it from git")]
    doc, problems = load_yaml(path, display)
    if doc is None:
        return None, problems
    plain = YamlDoc(doc.path, _plain(doc.data), doc.lines)
    problems += schema_problems(plain, content_dir / "schema" / schema, display)
    if problems:
        return None, problems
    return CatalogFile(plain, display, today, []), []


def _plain(value: Any) -> Any:
    """YAML reads 2026-11-28 as a date; the schemas and checks expect ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def sourced(ctx: CatalogFile, path: tuple[Any, ...], data: Mapping[str, Any], what: str) -> Sourced:
    """The sources and review date of an entry; missing or stale ones are reported."""
    sources = tuple(str(s) for s in data.get("sources", ()))
    line = ctx.doc.lines.line(path)
    if not sources:
        ctx.error(
            path,
            f"{what} has no source",
            "add 'sources:' with the web page(s) where the facts come from",
        )
    raw = data.get("reviewed")
    if raw is None:
        ctx.error(
            path,
            f"{what} has no review date",
            "add 'reviewed: YYYY-MM-DD' with the day you checked the facts",
        )
        return Sourced(sources, None, ctx.display, line)
    try:
        reviewed = dt.date.fromisoformat(str(raw))
    except ValueError:
        ctx.error(
            (*path, "reviewed"),
            f"{what} has an impossible review date '{raw}'",
            "write a real date as YYYY-MM-DD",
        )
        return Sourced(sources, None, ctx.display, line)
    if ctx.today - reviewed > REVIEW_MAX_AGE:
        ctx.warn(
            (*path, "reviewed"),
            f"{what} was last reviewed on {reviewed}, more than a year ago",
            "check the facts on the official site and update 'reviewed'",
        )
    elif reviewed > ctx.today:
        ctx.warn(
            (*path, "reviewed"),
            f"{what} has a review date in the future ({reviewed})",
            "use the day you actually checked the facts",
        )
    return Sourced(sources, reviewed, ctx.display, line)
