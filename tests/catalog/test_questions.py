"""The question bank: the loader reports bad entries with file:line; the matcher answers the
questions of issue 16, stays silent on small talk, and keeps its held-out precision."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.catalog.answers_eval import (
    TARGET_PRECISION,
    choose,
    cross_validate,
    figures,
    load_labelled,
    load_negatives,
    score,
)
from bot.catalog.answers_load import load_answers
from bot.catalog.questions import QuestionBank

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    found, problems = load_answers(CONTENT)
    assert not problems, problems
    return found


@pytest.mark.parametrize(("question", "entry"), [
    ("wa is da eigenlijk duaal leren", "duaal_leren_what"),
    ("kan ik mijn diploma halen via de examencommissie", "examencommissie_what"),
    ("komt de politie dan?", "truancy_police"),
    ("moet ik het tegen een leerkracht zeggen? ik durf ni, dan wordt het erger",
     "bullying_tell_teacher"),
    ("kan ik mijn CLB-mevrouw houden als ik van school verander?", "school_change_keep_clb"),
    ("waar is er een CVO in Gent?", "cvo_location"),
    ("mag ik stoppen als ik 16 ben?", "leerplicht_stop_at_16"),
])
def test_the_questions_of_issue_16_get_their_answer(bank: QuestionBank, question: str,
                                                    entry: str) -> None:
    found = bank.answer(question)
    assert found is not None and found.id == entry, bank.scores(question)[:3]


@pytest.mark.parametrize("text", ["ik ben 16", "slecht", "hoi", "ok merci", "ik woon in genk"])
def test_no_answer_to_small_talk_and_facts_about_oneself(bank: QuestionBank, text: str) -> None:
    assert bank.answer(text) is None


def test_spelling_map_reads_tussentaal(bank: QuestionBank) -> None:
    assert bank.spelling["ni"] == "niet" and bank.spelling["kzen"] == "ik ben"
    assert bank.scores("wa is da eigenlijk") == bank.scores("wat is dat eigenlijk")


def test_held_out_precision_does_not_regress(bank: QuestionBank) -> None:
    """The labelled blind questions: measured here, never tuned on."""
    blind = figures(score(bank, load_labelled(ROOT / "tests/dialogues/blind/questions.yml")),
                    bank.threshold, bank.margin)
    assert blind.precision >= 0.95, blind
    assert blind.recall >= 0.35, blind
    assert blind.answered_none == 0, blind


def test_shipped_threshold_is_the_one_cross_validation_chooses(bank: QuestionBank) -> None:
    cv = cross_validate(bank, load_negatives(ROOT / "nlu" / "data"))
    assert choose(cv) == (bank.threshold, bank.margin)
    assert figures(cv, bank.threshold, bank.margin).precision >= TARGET_PRECISION


BAD_ENTRY = """\
answers:
  good_one:
    family: routes
    examples: ["a", "b", "c"]
    answer: ["Ja."]
    sources: [https://www.vlaanderen.be/leerplicht-en-schoolplicht]
    reviewed: 2026-12-06
  bad_one:
    family: nonsense
    examples: ["only one"]
    answer: ["Ja."]
    reviewed: someday
"""


def test_loader_reports_a_bad_entry_with_file_and_line(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "answers").mkdir(parents=True)
    (content / "answers" / "bad.yml").write_text(BAD_ENTRY, encoding="utf-8")
    shutil.copy(CONTENT / "answers" / "_spelling.yml", content / "answers")
    found, problems = load_answers(content)
    where = {(p.file, p.line) for p in problems}
    texts = " | ".join(p.message for p in problems)
    assert ("content/answers/bad.yml", 9) in where  # family
    assert ("content/answers/bad.yml", 10) in where  # examples
    assert "unknown family 'nonsense'" in texts and "needs sources" in texts
    assert "'reviewed' must be a date" in texts
    assert set(found.entries) == {"good_one"}


def test_loader_reports_a_bad_spelling_line(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "answers").mkdir(parents=True)
    (content / "answers" / "_spelling.yml").write_text(
        "spelling:\n  ni: niet\n  two words: x\n", encoding="utf-8")
    found, problems = load_answers(content)
    assert [(p.file, p.line) for p in problems] == [("content/answers/_spelling.yml", 3)]
    assert found.spelling == {"ni": "niet"}
