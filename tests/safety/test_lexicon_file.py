"""Loading content/safety.yml: every problem is reported with file and line, all at once."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.safety.lexicon import load
from bot.safety.screen import Category, Lexicon, screen
from tests.safety.conftest import CONTENT_DIR

MINIMAL = """\
nlu: {check_threshold: 0.35, crisis_threshold: 0.8}
words:
  me: [me, mij]
rules:
  suicide_self_harm:
    - id: wish
      level: crisis
      patterns: ["wil dood"]
  violence_abuse:
    - id: hit
      level: crisis
      patterns: ["slaat @me"]
  acute_danger:
    - id: pills
      level: crisis
      patterns: ["# pillen genomen"]
harmless:
  - id: laugh
    patterns: ["dood van het lachen"]
helplines:
  intro: "Hulp:"
  lines:
    - {id: z, name: Zelfmoordlijn, number: "1813", for: x, hours: 24/7, url: u, source: s,
       reviewed: "2026-01-01", text: "Bel 1813."}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "safety.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_real_lexicon_loads_without_problems() -> None:
    lexicon, problems = load(CONTENT_DIR)
    assert lexicon is not None
    assert problems == []
    assert {rule.category for rule in lexicon.rules} == set(Category)


def test_a_minimal_lexicon_works_with_macros_numbers_and_harmless_phrases(tmp_path: Path) -> None:
    lexicon, problems = load(write(tmp_path, MINIMAL))
    assert problems == [] and lexicon is not None
    assert screen("hij slaat mij", lexicon).level == "crisis"
    assert screen("ik heb 12 pillen genomen", lexicon).category == Category.ACUTE_DANGER
    assert screen("ik heb 2 pillen genomen", lexicon).level == "none"
    assert screen("ik ga dood van het lachen", lexicon).level == "none"


def test_every_broken_pattern_is_reported_with_its_own_line(tmp_path: Path) -> None:
    broken = (
        MINIMAL.replace('patterns: ["wil dood"]', 'patterns: ["wil (dood", "@nope dood"]')
        .replace('patterns: ["slaat @me"]', 'patterns: ["slaat[a-z]+ me"]')
        .replace('patterns: ["# pillen genomen"]', 'patterns: ["pillen? genomen?"]')
    )
    lexicon, problems = load(write(tmp_path, broken))
    assert lexicon is None
    lines = broken.splitlines()
    pattern_problems = [p for p in problems if p.message.startswith("pattern")]
    found = {(p.line, p.message.split(":")[0]) for p in pattern_problems}
    assert len(pattern_problems) == 4
    assert all(p.file == "content/safety.yml" and p.hint for p in problems)
    for needle in ("wil (dood", "slaat[a-z]+ me", "pillen? genomen?"):
        line = next(i for i, text in enumerate(lines, 1) if needle in text)
        assert any(number == line for number, _ in found), needle
    messages = " ".join(p.message for p in problems)
    assert "not closed" in messages and "@nope" in messages and "without words" in messages


def test_schema_mistakes_are_all_collected(tmp_path: Path) -> None:
    broken = (
        MINIMAL.replace(
            'level: crisis\n      patterns: ["wil dood"]',
            'level: panic\n      patterns: ["wil dood"]',
        )
        .replace("check_threshold: 0.35", "check_threshold: 3")
        .replace("violence_abuse:", "violence:")
        .replace('text: "Bel 1813."', 'text: "Bel ons."')
    )
    lexicon, problems = load(write(tmp_path, broken))
    assert lexicon is None
    messages = "\n".join(p.render() for p in problems)
    for expected in (
        "level 'panic'",
        "check_threshold",
        "unknown category 'violence'",
        "does not mention the number 1813",
        "has no crisis rule",
    ):
        assert expected in messages
    assert all(p.line is not None for p in problems if "category" not in p.message)


def test_a_help_line_without_source_or_review_date_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace('source: s,\n       reviewed: "2026-01-01", ', "")
    lexicon, problems = load(write(tmp_path, text))
    assert lexicon is None
    assert any("source" in p.message and "reviewed" in p.message for p in problems)


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    lexicon, problems = load(tmp_path)
    assert lexicon is None and problems[0].file == "content/safety.yml"


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    lexicon, problems = load(write(tmp_path, MINIMAL + "rules: [unclosed\n"))
    assert lexicon is None and problems[0].line is not None


def test_the_lexicon_is_immutable(lexicon: Lexicon) -> None:
    with pytest.raises(AttributeError):
        lexicon.rules = ()  # type: ignore[misc]


def test_no_compiled_pattern_can_match_a_text_without_words(lexicon: Lexicon) -> None:
    for rule in lexicon.rules:
        assert rule.regex.search(" ") is None, rule.id
        assert rule.regex.search("  ") is None, rule.id


def test_the_help_lines_match_the_reference_facts(lexicon: Lexicon) -> None:
    numbers = {line.number for line in lexicon.helplines}
    assert {"112", "1813", "102", "1712", "106"} <= numbers
    for line in lexicon.helplines:
        assert line.number in line.text
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", line.reviewed)
        assert line.source and line.url


def test_unverified_hours_are_never_shown_to_pupils(lexicon: Lexicon) -> None:
    for line in lexicon.helplines:
        if not line.hours_verified:
            assert not re.search(r"\d{1,2}\s*[-–u:]\s*\d{1,2}", line.text), line.id
            assert "dag en nacht" not in line.text, line.id


def test_the_content_checker_loads_the_lexicon_into_the_content(tmp_path: Path) -> None:
    from bot.content import load_content

    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    data = yaml.safe_load((target / "safety.yml").read_text(encoding="utf-8"))
    data["rules"]["suicide_self_harm"][0]["patterns"].append("(kapot")
    (target / "safety.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    content, problems = load_content(target)
    assert content is None
    assert any(p.file == "content/safety.yml" and "(kapot" in p.message for p in problems)


def test_a_dollar_marks_the_end_of_the_message_and_only_there(tmp_path: Path) -> None:
    text = MINIMAL.replace('patterns: ["wil dood"]', 'patterns: ["wil dood", "wil niet meer $"]')
    lexicon, problems = load(write(tmp_path, text))
    assert problems == [] and lexicon is not None
    assert screen("ik wil niet meer!", lexicon).level == "crisis"
    assert screen("ik wil niet meer naar school", lexicon).level == "none"
    broken = MINIMAL.replace('patterns: ["wil dood"]', 'patterns: ["wil $ dood"]')
    lexicon, problems = load(write(tmp_path, broken))
    assert lexicon is None
    assert any("'$'" in p.message for p in problems)


def test_the_nlu_crisis_threshold_may_be_never(tmp_path: Path) -> None:
    text = MINIMAL.replace("crisis_threshold: 0.8", "crisis_threshold: never")
    lexicon, problems = load(write(tmp_path, text))
    assert lexicon is not None, problems
    assert lexicon.nlu.crisis_threshold == float("inf")
    bad = MINIMAL.replace("crisis_threshold: 0.8", "crisis_threshold: sometimes")
    assert load(write(tmp_path, bad))[0] is None
