"""The content checker: syntax, schema, cross-references, each error with its place."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import load_content
from bot.flows.checker import report
from bot.flows.problems import Problem
from tests.support.conversation import CONTENT_DIR

BAD_FLOWS = """\
flows:
  broken:
    steps:
      - id: first
        say: "Hallo"
        next: nowhere
      - id: first
        say: "Dubbel"
      - id: orphan
        say: "Niemand komt hier"
      - id: q
        ask: "Vraag"
        collect: not_a_slot
      - id: cond
        noop: true
        next:
          - if: ghost == "x"
            then: END
      - id: call_it
        call: no_such_flow
      - id: act
        action: teleport
      - id: bad_if
        noop: true
        next:
          - if: age >>= 3
            then: END
          - else: END
      - id: this_step_id_is_really_much_too_long_for_telegram_payloads
        ask: "Kies"
        collect: topic
        buttons:
          - title: "A"
            value: a_value_that_is_also_long
      - say: "{unknown_slot} hallo"
  also_broken:
    steps:
      - ask: "Geen id"
        collect: topic
        buttons:
          - {title: "x", value: x}
          - {title: "y", value: x}
"""


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def problems_for(content_dir: Path) -> list[Problem]:
    content, problems = load_content(content_dir)
    assert content is None
    return problems


def find(problems: list[Problem], text: str) -> Problem:
    matches = [p for p in problems if text in p.message]
    assert matches, f"no problem mentions {text!r}:\n" + "\n".join(p.render() for p in problems)
    return matches[0]


def test_real_content_is_valid() -> None:
    content, problems = load_content(CONTENT_DIR)
    assert content is not None, report(problems, CONTENT_DIR)


def test_cross_reference_errors_are_all_collected_with_place(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_broken.yml").write_text(BAD_FLOWS, encoding="utf-8")
    problems = problems_for(content_copy)
    cases = {
        "goes to step 'nowhere'": ("first", 4),
        "used twice": ("first", 7),
        "can never be reached": (None, None),
        "slot 'not_a_slot'": ("q", 11),
        "condition uses slot 'ghost'": ("cond", 14),
        "no 'else'": ("cond", 14),
        "flow 'no_such_flow'": ("call_it", 19),
        "unknown action 'teleport'": ("act", 21),
        "cannot be read": ("bad_if", 26),
        "bytes; Telegram allows 64": (None, None),
        "{unknown_slot}": (None, None),
        "needs an 'id'": ("step_1", None),
        "two buttons have the value 'x'": ("step_1", None),
    }
    for text, (step, line) in cases.items():
        problem = find(problems, text)
        assert problem.file.endswith("zz_broken.yml")
        assert problem.flow in {"broken", "also_broken"}
        assert problem.hint
        if step:
            assert problem.step == step
        if line:
            assert problem.line == line


def test_yaml_syntax_error_names_the_line(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_syntax.yml").write_text(
        "flows:\n  x:\n    steps:\n      - say: 'open quote\n      - say: ok\n", encoding="utf-8"
    )
    problem = find(problems_for(content_copy), "YAML syntax error")
    assert problem.file.endswith("zz_syntax.yml")
    assert problem.line is not None


def test_schema_errors_name_unknown_keys_and_yes_no_trap(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_schema.yml").write_text(
        "flows:\n  x:\n    steps:\n      - say: hoi\n        sey: typo\n"
        "      - id: q\n        ask: vraag\n        collect: topic\n"
        "        buttons:\n          - {title: Ja, value: yes}\n",
        encoding="utf-8",
    )
    problems = problems_for(content_copy)
    typo = find(problems, "unknown key")
    assert typo.line == 4
    trap = find(problems, "is not of type 'string'")
    assert "quotes" in trap.hint


def test_too_long_message_is_reported(content_copy: Path) -> None:
    text = "Dit is een zin. " * 300
    (content_copy / "flows" / "zz_long.yml").write_text(
        f'flows:\n  help_long:\n    steps:\n      - say: "{text}"\n', encoding="utf-8"
    )
    find(problems_for(content_copy), "Telegram allows 4096")


def test_duplicate_flow_ids_across_files(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_dup.yml").write_text(
        "flows:\n  welcome:\n    steps:\n      - say: hoi\n", encoding="utf-8"
    )
    find(problems_for(content_copy), "defined twice")


def test_cli_exits_1_with_full_report_and_bot_refuses_to_start(
    content_copy: Path, tmp_path: Path
) -> None:
    (content_copy / "flows" / "zz_broken.yml").write_text(BAD_FLOWS, encoding="utf-8")
    wegwijs = str(Path(sys.executable).parent / "wegwijs")
    check = subprocess.run(
        [wegwijs, "content", "check", "--content-dir", str(content_copy), "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 1
    assert "content is NOT valid" in check.stdout
    assert check.stdout.count("error:") >= 10
    env = {**os.environ, "WEGWIJS_CONTENT_DIR": str(content_copy)}
    chat = subprocess.run(
        [wegwijs, "chat", "--jsonl", "--data-dir", str(tmp_path / "d")],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert chat.returncode == 1
    assert "does not start with invalid content" in chat.stderr
    assert "zz_broken.yml" in chat.stderr


def test_cli_exits_0_on_valid_content() -> None:
    wegwijs = str(Path(sys.executable).parent / "wegwijs")
    check = subprocess.run(
        [wegwijs, "content", "check", "--lang", "en"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert check.returncode == 0, check.stdout
    assert "content is valid" in check.stdout
