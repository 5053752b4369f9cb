"""Each editor mistake of issue 17, made on a broken copy of the real content.

Every test breaks one thing the way an editor would and asserts the file, the line and a fix
hint that fits the mistake.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import load_content
from bot.flows.checker import report
from bot.flows.messages import load_messages
from bot.flows.problems import Problem
from tests.support.conversation import CONTENT_DIR


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    docs = CONTENT_DIR.parent / "docs"  # sources of facts about Wegwijs itself
    if docs.is_dir():
        shutil.copytree(docs, tmp_path / "docs")
    return tmp_path / "content"


def break_file(content_dir: Path, name: str, old: str, new: str) -> int:
    """Replace the first `old` in a content file by `new`; return the line it was on."""
    path = content_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{name} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def problems_of(content_dir: Path) -> list[Problem]:
    return load_content(content_dir)[1]


def one(problems: list[Problem], text: str, severity: str = "error") -> Problem:
    found = [p for p in problems if text in p.message and p.severity == severity]
    assert found, f"no {severity} mentions {text!r}:\n" + "\n".join(p.render() for p in problems)
    return found[0]


def test_yes_no_button_with_a_dutch_value(content_copy: Path) -> None:
    button = '- title: "Ja, graag"\n            value: '
    line = break_file(content_copy, "flows/exit.yml", button + '"yes"', button + "ja")
    problem = one(problems_of(content_copy), "gives the value 'ja'")
    assert (problem.file, problem.line) == ("content/flows/exit.yml", line)
    assert problem.flow == "exit_talk"
    assert 'value "yes"' in problem.hint


def test_condition_compares_a_yes_no_slot_with_ja(content_copy: Path) -> None:
    line = break_file(
        content_copy, "flows/exit.yml", 'if: more_talk == "yes"', 'if: more_talk == "ja"'
    )
    problem = one(problems_of(content_copy), "compares 'more_talk' with \"ja\"")
    assert (problem.file, problem.line) == ("content/flows/exit.yml", line)
    assert 'more_talk == "yes"' in problem.hint


def test_condition_with_a_typo_in_a_choice_value(content_copy: Path) -> None:
    line = break_file(
        content_copy, "flows/welcome.yml", 'if: topic == "quit"', 'if: topic == "qiut"'
    )
    problem = one(problems_of(content_copy), "the value 'qiut'")
    assert (problem.file, problem.line, problem.step) == ("content/flows/welcome.yml", line,
                                                          problem.step)
    assert 'did you mean topic == "quit"' in problem.hint


def test_unknown_municipality_suggests_the_closest(content_copy: Path) -> None:
    line = break_file(content_copy, "resources.yml", "  - id: tejo_hasselt",
                      "  - id: tejo_hasselt")
    break_file(content_copy, "resources.yml", "[Hasselt]", "[Genck]")
    problem = one(problems_of(content_copy), "municipality 'Genck' is not in content/places")
    assert (problem.file, problem.line) == ("content/resources.yml", line)
    assert "did you mean Genk?" in problem.hint


def test_placeholder_in_a_resource_template(content_copy: Path) -> None:
    line = break_file(content_copy, "resources.yml", 'resource_phone: "Bel: {phone}"',
                      'resource_phone: "Bel: {telefoon}"')
    problem = one(problems_of(content_copy), "uses '{telefoon}'")
    assert (problem.file, problem.line) == ("content/resources.yml", line)
    assert "{phone}" in problem.hint


def test_placeholder_in_a_route_template(content_copy: Path) -> None:
    line = break_file(content_copy, "paths.yml", 'route_line: "• {name}: {short}"',
                      'route_line: "• {naam}: {short}"')
    problem = one(problems_of(content_copy), "uses '{naam}'")
    assert (problem.file, problem.line) == ("content/paths.yml", line)
    assert "did you mean {name}?" in problem.hint


def test_placeholder_in_a_fact(content_copy: Path) -> None:
    line = break_file(content_copy, "facts.yml", '    text: "Leerplicht betekent',
                      '    text: "Bel {telefoon}. Leerplicht betekent')
    problem = one(problems_of(content_copy), "fact 'leerplicht_basics' uses '{telefoon}'")
    assert (problem.file, problem.line) == ("content/facts.yml", line)
    assert "slots file" in problem.hint


def test_placeholder_in_a_system_text(content_copy: Path) -> None:
    line = break_file(content_copy, "texts.yml", "Typ een getal van {min} tot {max}.",
                      "Typ een getal van {min} tot {maximum}.")
    problem = one(problems_of(content_copy), "uses '{maximum}'")
    assert (problem.file, problem.line) == ("content/texts.yml", line)
    assert "{max}" in problem.hint


def test_unquoted_hash_cuts_a_text(content_copy: Path) -> None:
    path = content_copy / "flows" / "zz_cut.yml"
    path.write_text(
        "flows:\n  zz_cut:\n    steps:\n      - say: Dank je. Bel #1813 als het niet gaat.\n",
        encoding="utf-8",
    )
    problem = one(problems_of(content_copy), "the text stops at 'Dank je. Bel'")
    assert (problem.file, problem.line) == ("content/flows/zz_cut.yml", 4)
    assert '"Dank je. Bel #1813 als het niet gaat."' in problem.hint


def test_say_and_ask_in_one_step(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_both.yml").write_text(
        "flows:\n  zz_both:\n    steps:\n      - id: both\n        say: Hoi\n"
        "        ask: Hoe gaat het?\n",
        encoding="utf-8",
    )
    problem = one(problems_of(content_copy), "both 'say' and 'ask'")
    assert (problem.file, problem.line, problem.step) == ("content/flows/zz_both.yml", 6, "both")
    assert "own step" in problem.hint


def test_say_and_ask_with_collect_is_named_as_such(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_both.yml").write_text(
        "flows:\n  zz_both:\n    steps:\n      - id: both\n        say: Hoi\n"
        "        ask: Hoe gaat het?\n        collect: more_talk\n",
        encoding="utf-8",
    )
    problem = one(problems_of(content_copy), "both 'say' and 'ask'")
    assert (problem.line, problem.step) == (4, "both")


def test_raw_choice_value_in_a_text(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_raw.yml").write_text(
        "flows:\n  zz_raw:\n    steps:\n      - id: show\n"
        "        say: \"Je wil praten over {wb_topic}.\"\n",
        encoding="utf-8",
    )
    problem = one(problems_of(content_copy), "raw value of a choice slot")
    assert (problem.file, problem.line, problem.step) == ("content/flows/zz_raw.yml", 4, "show")
    assert 'if: wb_topic == "' in problem.hint


def test_long_button_title_is_a_warning(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_title.yml").write_text(
        "flows:\n  zz_title:\n    steps:\n      - id: q\n        ask: Wil je verder?\n"
        "        collect: more_talk\n        buttons:\n"
        "          - {title: \"Ja, ik wil heel graag nog verder praten\", value: \"yes\"}\n"
        "          - {title: Nee, value: \"no\"}\n",
        encoding="utf-8",
    )
    content, problems = load_content(content_copy)
    assert content is not None, report(problems, content_copy)
    problem = one(problems, "has 39 characters", "warning")
    assert (problem.file, problem.line) == ("content/flows/zz_title.yml", 8)


def test_tab_error_comes_first_without_follow_on_errors(content_copy: Path) -> None:
    path = content_copy / "flows" / "routes.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("      - "))
    lines[index] = "\t" + lines[index].lstrip(" ")
    path.write_text("".join(lines), encoding="utf-8")
    problems = problems_of(content_copy)
    errors = [p for p in problems if p.severity == "error" and p.file.endswith("routes.yml")]
    assert [(p.file, p.line) for p in errors] == [("content/flows/routes.yml", index + 1)]
    assert "tab" in errors[0].message and "spaces" in errors[0].hint
    assert not [p for p in problems if "does not exist" in p.message]
    assert "YAML syntax error" in report(problems, content_copy).splitlines()[0]


def test_unclosed_quote_is_reported_where_it_opens(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_quote.yml").write_text(
        'flows:\n  zz_quote:\n    steps:\n      - say: "Hallo daar\n      - say: "Nog iets"\n'
        "      - say: Tot ziens\n",
        encoding="utf-8",
    )
    problem = one(problems_of(content_copy), "YAML syntax error")
    assert (problem.file, problem.line) == ("content/flows/zz_quote.yml", 4)
    assert "quote" in problem.message and "quote" in problem.hint


def test_control_character_has_a_line(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_ctrl.yml").write_text(
        "flows:\n  zz_ctrl:\n    steps:\n      - say: Hallo\n      - say: Bel \x07 nu\n",
        encoding="utf-8",
    )
    problem = one(problems_of(content_copy), "control character U+0007")
    assert (problem.file, problem.line) == ("content/flows/zz_ctrl.yml", 5)
    assert "column 18" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("reviewed: 2026-11-28", "reviewed: 28-11-2026", "2026-11-28"),
        ("url: https://www.tejo.be", "url: www.tejo.be", "https://www.tejo.be"),
    ],
)
def test_field_hints_fit_the_field(content_copy: Path, old: str, new: str, hint: str) -> None:
    line = break_file(content_copy, "resources.yml", old, new)
    problem = one(problems_of(content_copy), "does not match")
    assert (problem.file, problem.line) == ("content/resources.yml", line)
    assert hint in problem.hint
    assert "lowercase" not in problem.hint


def test_phone_hint(content_copy: Path) -> None:
    text = (content_copy / "resources.yml").read_text(encoding="utf-8")
    phone = next(line for line in text.splitlines() if line.strip().startswith("phone:"))
    line = break_file(content_copy, "resources.yml", phone, '    phone: "tel. 09/123.45.67"')
    problem = one(problems_of(content_copy), "does not match")
    assert (problem.file, problem.line) == ("content/resources.yml", line)
    assert "digits and spaces" in problem.hint and "09 123 45 67" in problem.hint


def test_schema_errors_name_the_step_not_its_index(content_copy: Path) -> None:
    line = break_file(content_copy, "flows/exit.yml", "collect: more_talk\n        ask_again: true",
                      "collect: more_talk\n        ask_again: jawel")
    problem = one(problems_of(content_copy), "is not of type 'boolean'")
    assert (problem.file, problem.line, problem.flow, problem.step) == (
        "content/flows/exit.yml", line + 1, "exit_talk", "doubt")
    assert "steps/" not in problem.message


def test_flow_without_dialogue_is_a_warning_until_one_visits_it(content_copy: Path) -> None:
    (content_copy / "flows" / "zz_new.yml").write_text(
        "flows:\n  zz_new:\n    steps:\n      - say: Hoi\n", encoding="utf-8"
    )
    problem = one(problems_of(content_copy), "no dialogue test visits flow 'zz_new'", "warning")
    assert (problem.file, problem.line) == ("content/flows/zz_new.yml", 3)
    assert "start: zz_new" in problem.hint
    (content_copy / "tests" / "zz_new.yml").write_text(
        "dialogues:\n  - name: nieuw\n    start: zz_new\n    turns:\n      - pupil: hoi\n",
        encoding="utf-8",
    )
    assert not [p for p in problems_of(content_copy) if "visits flow 'zz_new'" in p.message]


def test_report_is_dutch_for_editors_and_english_on_request(content_copy: Path) -> None:
    break_file(content_copy, "flows/exit.yml", 'if: more_talk == "yes"', 'if: more_talk == "ja"')
    problems = problems_of(content_copy)
    dutch = report(problems, content_copy, load_messages(content_copy, "nl"))
    assert "fout: [flow 'exit_talk'" in dutch
    assert "is een ja/nee-slot" in dutch and "oplossing: schrijf more_talk ==" in dutch
    assert "de inhoud is NIET in orde" in dutch
    english = report(problems, content_copy, load_messages(content_copy, "en"))
    assert "is a yes/no slot" in english and "content is NOT valid" in english
