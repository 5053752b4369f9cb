"""The whole content of `content/`: flows, catalog, safety lexicon, places, counsellor texts.

Each capability loads its own files; this module puts them together, binds the built-in actions
to their data, and runs the cross-reference checks with the flows each capability needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache, partial
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from bot.catalog import builtins as catalog_builtins
from bot.catalog import catalog, checks, places
from bot.catalog.answers_load import load_answers
from bot.checkins import actions as checkin_actions
from bot.dialogues.spec import load_dialogues
from bot.flows import cachefiles, checker, plainjson
from bot.flows.actions import ENGINE_BUILTINS, Builtin
from bot.flows.listening_load import load_listening
from bot.flows.loader import (
    load_flows,
    load_patterns,
    load_slots,
    load_texts,
    relative,
    schemas_passed,
)
from bot.flows.model import Content
from bot.flows.problems import Problem
from bot.flows.yamlio import cut_by_comment
from bot.handoff import counsellor, desk_texts
from bot.handoff.flows import HANDOFF_FLOWS
from bot.safety import disclosure, lexicon
from bot.safety import screen as safety_screen
from bot.safety.screen import CARE_FLOWS, SAFETY_FLOWS


def all_actions() -> Mapping[str, Builtin]:
    """Every built-in action flows may use: the engine's, the catalog's, the safety layer's and
    the check-ins'."""
    return {
        **ENGINE_BUILTINS,
        **catalog_builtins.BUILTINS,
        **safety_screen.BUILTINS,
        **disclosure.BUILTINS,
        **checkin_actions.BUILTINS,
    }


def load_content(
    content_dir: Path, cache_dir: Path | None = None
) -> tuple[Content | None, list[Problem]]:
    """Load and check everything in `content/`; the Content is None when there are errors.

    `cache_dir`: where what is derived from content may be kept across processes (the compiled
    safety lexicon and its learned model, the record of checked content); without it, it is
    kept for this process only.

    Checks that only read the files (the JSON Schemas, texts cut by a comment, flows without a
    dialogue test) run once per version of the content and the code: their findings are kept
    under a hash of both (`checked_key`) and given again for the same files.
    """
    key = checked_key(content_dir)
    known = _checked.lookup(key, cache_dir)
    with schemas_passed(known is not None):
        content, problems, catalog_checks = _loaded(content_dir, cache_dir)
    if any(p.severity == "error" and p.stage != "content" for p in problems):
        # Cross-references over files that could not be read would only add follow-on
        # errors ("flow does not exist" for every flow of a file with a tab in it).
        return None, problems
    findings = known if known is not None else Checked(
        texts_cut_by_comments(content_dir), flows_without_dialogue(content, content_dir)
    )
    problems += findings.cut_by_comments
    problems += checker.cross_references(
        content,
        started_by_code=(*HANDOFF_FLOWS, *checkin_actions.CHECKIN_FLOWS),
        required=(*SAFETY_FLOWS, *CARE_FLOWS),
    )
    problems += catalog_checks()
    problems += findings.without_dialogue
    if any(p.severity == "error" for p in problems):
        return None, problems
    if known is None:
        _checked.store(key, findings, cache_dir)
    return content, problems


@dataclass(frozen=True, slots=True)
class Checked:
    """The findings of the checks that only read content files (warnings: content with errors
    is never recorded), for one version of the content and the code."""

    cut_by_comments: tuple[Problem, ...] = ()
    without_dialogue: tuple[Problem, ...] = ()


CHECKED_PREFIX = "content-checked-"
CHECKED_FORMAT = 1


def _decoded_checked(data: Mapping[str, Any]) -> Checked | None:
    if data.get("format") != CHECKED_FORMAT:
        return None
    try:
        found = plainjson.from_plain(Checked, data["checked"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return found if isinstance(found, Checked) else None


_checked = cachefiles.Kept[Checked](
    CHECKED_PREFIX, 4,
    lambda found: {"format": CHECKED_FORMAT, "checked": plainjson.to_plain(found)},
    _decoded_checked,
)


def checked_key(content_dir: Path) -> str | None:
    """A hash of every file in `content_dir`, the code and the libraries that read them; None
    when a file cannot be read (the loaders then report it)."""
    digest = hashlib.sha256(f"format {CHECKED_FORMAT}\n{content_dir.name}\n".encode())
    digest.update(cachefiles.code_digest())
    digest.update(_libraries().encode())
    try:
        for path in sorted(p for p in content_dir.rglob("*") if p.is_file()):
            digest.update(path.relative_to(content_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        return None
    return digest.hexdigest()


@cache
def _libraries() -> str:
    return f"{cachefiles.yaml_reader()}jsonschema {metadata.version('jsonschema')}\n"


def forget_checked() -> None:
    """Forget the content checked in this process (tests)."""
    _checked.forget()


def _loaded(
    content_dir: Path, cache_dir: Path | None
) -> tuple[Content, list[Problem], Callable[[], list[Problem]]]:
    """Every capability's content files, read; the problems each loader found; and the checks
    of the catalog against the places and slots, for after the cross-references."""
    flows, problems = load_flows(content_dir)
    slots, found = load_slots(content_dir)
    problems += found
    patterns, found = load_patterns(content_dir)
    problems += found
    texts, found = load_texts(content_dir)
    problems += found
    the_catalog, found = catalog.load(content_dir)
    problems += found
    lexicon_, found = lexicon.load(content_dir, cache_dir=cache_dir)
    problems += found
    gazetteer, found = places.load_gazetteer(content_dir)
    problems += found
    texts_for_counsellors, found = counsellor.load(content_dir)
    problems += found
    texts_for_the_desk, found = desk_texts.load(content_dir)
    problems += found
    if texts_for_counsellors is not None and texts_for_the_desk is not None:
        texts_for_counsellors = replace(texts_for_counsellors, desk=texts_for_the_desk)
    listening, found = load_listening(content_dir)
    problems += found
    question_bank, found = load_answers(content_dir)
    problems += found
    content = Content(
        flows,
        slots,
        patterns,
        texts,
        catalog=the_catalog,
        safety=lexicon_,
        places=gazetteer,
        counsellor=texts_for_counsellors,
        actions=all_actions(),
        listening=listening,
        questions=question_bank,
    )
    return content, problems, partial(checks.check, the_catalog, gazetteer, slots, content_dir)


def texts_cut_by_comments(content_dir: Path) -> tuple[Problem, ...]:
    """Unquoted texts that YAML cut at ' #' (the rest became a comment), in every content file."""
    problems: list[Problem] = []
    for path in sorted(content_dir.rglob("*.yml")):
        try:
            text = path.read_text(encoding="utf-8")
            problems += cut_by_comment(text, relative(path, content_dir))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # reported by the loader of that file
    return tuple(problems)


def flows_without_dialogue(content: Content, content_dir: Path) -> tuple[Problem, ...]:
    """A warning for each flow that no dialogue test in content/tests/ starts in or checks."""
    paths = sorted((content_dir / "tests").glob("*.yml"))
    dialogues, _ = load_dialogues(paths, content_dir.parent)
    visited: set[str] = set()
    for dialogue in dialogues:
        places_ = [dialogue.start, *(turn.expect.at for turn in dialogue.turns)]
        visited |= {place.split(".")[0] for place in places_ if place}
    return tuple(
        Problem(
            flow.file,
            flow.line,
            f"no dialogue test visits flow '{flow.id}'",
            f"add a dialogue to content/tests/ with 'start: {flow.id}' or a turn with "
            f"'at: {flow.id}' (see content/README.md, \"Dialogue tests\")",
            flow.id,
            severity="warning",
        )
        for flow in content.flows.values()
        if flow.id not in visited
    )
