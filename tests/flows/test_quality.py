"""Readability (B1) warnings and catalog references checked over flows and catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.flows import quality
from bot.flows.model import Content
from tests.flows.helpers import OWN_FILES, STUB_CRISIS, content_for_tests, load_without_safety
from tests.support.conversation import CONTENT_DIR


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Content:
    content, _ = content_for_tests(tmp_path_factory.mktemp("quality"))
    return content


@pytest.mark.parametrize(
    ("text", "long"),
    [
        ("Dit is kort. Dit ook!", []),
        ("een " * 21, [21]),
        ("een " * 20, []),
        ("Kort.\n" + "woord " * 25 + "?", [25]),
        ("Kijk op https://www.example.be/een/heel/lang/pad/met/veel/stukjes/erin nu.", []),
    ],
)
def test_long_sentences_are_counted(text: str, long: list[int]) -> None:
    assert [count for count, _ in quality.long_sentences(text)] == long


def test_own_content_has_no_quality_problems(real: Content) -> None:
    problems = [p.render() for p in quality.check(real) if p.file in OWN_FILES]
    assert problems == []


def test_long_flow_sentence_is_a_warning_with_flow_and_step(tmp_path: Path) -> None:
    content = _with_flow(
        tmp_path,
        """
  extra:
    steps:
      - id: long
        say: "Dit is een zin met veel te veel woorden voor een jongere die gewoon
          snel wil lezen wat er staat en dan verder wil."
""",
    )
    [problem] = [p for p in quality.check(content) if p.flow == "extra"]
    assert problem.severity == "warning"
    assert problem.step == "long"
    assert "words is long for B1" in problem.message


def test_unknown_fact_summary_route_and_topic_are_errors(tmp_path: Path) -> None:
    content = _with_flow(
        tmp_path,
        """
  extra:
    steps:
      - action: tell
        fact: no_such_fact
      - action: summary
        of: nothing
      - action: explain_route
        route: teleport
      - action: show_routes
        routes: [duaal_leren, magic]
      - action: show_resources
        topic: school
        limit: 9
""",
    )
    errors = [p.message for p in quality.check(content) if p.flow == "extra"]
    assert len(errors) == 6
    assert all(p.severity == "error" for p in quality.check(content) if p.flow == "extra")


def _with_flow(tmp_path: Path, flow: str) -> Content:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    (target / "flows" / "zz_extra.yml").write_text("flows:" + flow, encoding="utf-8")
    crisis = target / "flows" / "crisis.yml"
    if not crisis.exists():
        crisis.write_text(STUB_CRISIS, encoding="utf-8")
    content, _ = load_without_safety(target)
    return content
