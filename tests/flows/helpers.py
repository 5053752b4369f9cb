"""The project's content for flow tests, independent of other areas' work in progress."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

from bot.catalog import catalog, places
from bot.content import all_actions
from bot.flows.checker import cross_references
from bot.flows.loader import load_flows, load_patterns, load_slots, load_texts
from bot.flows.model import Content
from bot.flows.problems import Problem
from bot.handoff.flows import HANDOFF_FLOWS
from bot.safety.screen import SAFETY_FLOWS
from tests.support.conversation import CONTENT_DIR, Conversation

# The safety layer owns these flows; until content/flows/crisis.yml exists, a stub stands in.
STUB_CRISIS = """flows:
  crisis_suicide_self_harm: {steps: [{say: "stub"}]}
  crisis_violence_abuse: {steps: [{say: "stub"}]}
  crisis_acute_danger: {steps: [{say: "stub"}]}
  safety_check: {steps: [{say: "stub safety check"}]}
"""
OWN_FILES = (
    "content/flows/intake.yml",
    "content/flows/motivation.yml",
    "content/flows/routes.yml",
    "content/flows/truancy.yml",
    "content/flows/roundtable.yml",
    "content/flows/plan.yml",
    "content/flows/school_change.yml",
    "content/flows/wellbeing.yml",
    "content/flows/exit.yml",
    "content/paths.yml",
    "content/resources.yml",
    "content/networks.yml",
    "content/facts.yml",
    "content/summaries.yml",
    "content/slots_conversation.yml",
)


def load_without_safety(content_dir: Path) -> tuple[Content, list[Problem]]:
    """Load everything but the safety lexicon (owned and tested by the safety layer)."""
    flows, problems = load_flows(content_dir)
    slots, found = load_slots(content_dir)
    problems += found
    patterns, found = load_patterns(content_dir)
    problems += found
    texts, found = load_texts(content_dir)
    problems += found
    cat, found = catalog.load(content_dir)
    problems += found
    gazetteer, found = places.load_gazetteer(content_dir)
    problems += found
    content = Content(
        flows, slots, patterns, texts, catalog=cat, places=gazetteer, actions=all_actions()
    )
    problems += cross_references(content, started_by_code=HANDOFF_FLOWS, required=SAFETY_FLOWS)
    return content, problems


@cache
def _copy(tmp_root: str) -> Path:
    target = Path(tmp_root) / "content"
    shutil.copytree(CONTENT_DIR, target)
    crisis = target / "flows" / "crisis.yml"
    if not crisis.exists():
        crisis.write_text(STUB_CRISIS, encoding="utf-8")
    return target


def content_for_tests(tmp_root: Path) -> tuple[Content, list[Problem]]:
    """The real content (copied, with a crisis stub when the safety flows are not there yet)."""
    return load_without_safety(_copy(str(tmp_root)))


def errors_in_own_files(problems: list[Problem]) -> list[str]:
    """Rendered errors in files this area owns."""
    return [p.render() for p in problems if p.severity == "error" and p.file in OWN_FILES]


def talk(content: Content) -> Conversation:
    """A fresh conversation on this content."""
    return Conversation(content=content)
