"""The learned second signal: trained from content/safety_examples.yml, measured honestly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.nlu_tools.corpus import render_safety_corpus
from bot.safety.lexicon import (
    EXAMPLES_FILE,
    NLU_EXAMPLES,
    load,
    read_examples,
    read_nlu_examples,
    train_model,
)
from bot.safety.report import cross_validate, main, model_only_recall, read_cases
from bot.safety.screen import Lexicon, ModelSignal, screen
from tests.safety.conftest import CONTENT_DIR, SETS_DIR
from tests.safety.test_lexicon_file import MINIMAL

NLU_DATA = CONTENT_DIR.parent / "nlu" / "data"

TOY_EXAMPLES = (
    """\
examples:
"""
    + "".join(
        f"  - {{text: '{t}', label: crisis, category: suicide_self_harm, set: a}}\n"
        for t in (
            "alles is zinloos ik stop ermee",
            "ik stop ermee voorgoed",
            "zinloos alles",
            "ik stop ermee",
            "het is zinloos, ik stop",
        )
    )
    + "".join(
        f"  - {{text: '{t}', label: crisis, category: {c}, set: a}}\n"
        for c in ("violence_abuse", "acute_danger")
        for t in ("x een", "x twee", "x drie", "x vier", "x vijf")
    )
    + "".join(
        f"  - {{text: '{t}', label: none, set: b}}\n"
        for t in (
            "ik ga naar school",
            "de bus is te laat",
            "wat eten we",
            "ik speel voetbal",
            "mijn huiswerk is af",
            "ik ga dood van het lachen",
        )
    )
)


def toy(tmp_path: Path, examples: str = TOY_EXAMPLES, model: str = "") -> Path:
    (tmp_path / "safety.yml").write_text(
        MINIMAL + (model or "model: {check_threshold: 0.6, crisis_threshold: 0.8}\n"),
        encoding="utf-8",
    )
    (tmp_path / "safety_examples.yml").write_text(examples, encoding="utf-8")
    return tmp_path


def test_the_examples_file_holds_every_labelled_set_message_under_its_set() -> None:
    examples, problems = read_examples(CONTENT_DIR / "safety_examples.yml")
    assert problems == []
    have = {(e.set_name, e.text, e.label) for e in examples}
    for path in sorted(SETS_DIR.glob("*.yml")):
        if path.name == "everyday.yml":
            continue  # a precision yardstick written blind: never a training set
        for case in read_cases(path):
            label = case.expect.removeprefix("miner:")
            label = "none" if label == "care" else label  # care is "not a crisis" to the model
            assert (path.stem, case.text, label) in have, (path.name, case.id)


def test_training_is_deterministic(lexicon: Lexicon) -> None:
    examples, _ = read_examples(CONTENT_DIR / "safety_examples.yml")
    first, second = train_model(examples, lexicon), train_model(list(reversed(examples)), lexicon)
    assert first.bias == second.bias
    assert dict(first.weights) == pytest.approx(dict(second.weights))


def test_the_model_raises_a_message_the_rules_do_not_know(tmp_path: Path) -> None:
    lexicon, problems = load(toy(tmp_path))
    assert lexicon is not None and lexicon.model is not None, problems
    verdict = screen("alles is zinloos, ik stop ermee", lexicon)
    assert verdict.level == "crisis"
    assert verdict.rule == "model:suicide_self_harm"
    assert screen("de bus is te laat", lexicon).level == "none"


def test_over_a_harmless_phrase_the_model_asks_at_most_a_check(tmp_path: Path) -> None:
    lexicon, _ = load(toy(tmp_path))
    assert lexicon is not None
    assert screen("zinloos, ik stop ermee, dood van het lachen", lexicon).level == "check"


def test_without_a_model_section_there_is_no_model(tmp_path: Path) -> None:
    lexicon, _ = load(toy(tmp_path, model="\n"))
    assert lexicon is not None and lexicon.model is None
    assert screen("alles is zinloos, ik stop ermee", lexicon).level == "none"


def test_broken_examples_are_reported_with_their_lines(tmp_path: Path) -> None:
    broken = TOY_EXAMPLES + (
        "  - {text: 'ik wil weg', label: crisis, set: a}\n"
        "  - {text: '', label: none}\n"
        "  - {text: 'hallo', label: maybe, colour: red}\n"
        "  - {text: 'ik stop ermee', label: none, set: a}\n"
    )
    lexicon, problems = load(toy(tmp_path, broken))
    assert lexicon is None
    text = "\n".join(p.render() for p in problems)
    assert "safety_examples.yml:24" in text and "needs a valid category" in text
    assert "safety_examples.yml:25" in text and "has no text" in text
    assert "label 'maybe'" in text and "colour" in text
    assert "labelled both crisis and none in set 'a'" in text


def test_a_missing_examples_file_and_bad_thresholds_are_problems(tmp_path: Path) -> None:
    toy(tmp_path, model="model: {check_threshold: 0.9, crisis_threshold: 2}\n")
    (tmp_path / "safety_examples.yml").unlink()
    lexicon, problems = load(tmp_path)
    assert lexicon is None
    text = "\n".join(p.render() for p in problems)
    assert "crisis_threshold" in text and "file is missing" in text


def test_too_few_examples_of_a_category_is_a_problem(tmp_path: Path) -> None:
    few = "\n".join(line for line in TOY_EXAMPLES.splitlines() if "acute_danger" not in line)
    _, problems = load(toy(tmp_path, few + "\n"))
    assert any("'acute_danger'" in p.message for p in problems)


def test_the_real_model_trains_on_the_examples_and_screens_them(
    tmp_path: Path, lexicon: Lexicon
) -> None:
    # its speed is measured in bench/safety_bench.py, not asserted here
    assert lexicon.model is not None
    examples, _ = read_examples(CONTENT_DIR / "safety_examples.yml")
    trained = train_model(examples, lexicon)
    crisis = [e for e in examples if e.label == "crisis"][:100]
    assert crisis
    hits = sum(trained.predict(lexicon.normaliser.words(e.text)).category is not None
               for e in crisis)
    assert hits >= len(crisis) * 0.8, hits  # it learned its own examples


# Leave-one-set-out figures achieved when the model was added (safety report --cv):
# model alone recall 40.4% on average (27.8% .. 55.6%), rules+model false crisis 1.6% on average,
# at most 7.1% (redteam4). A regression in the model or its examples lowers these.
@pytest.mark.slow
def test_leave_one_set_out_figures_do_not_regress(lexicon: Lexicon) -> None:
    alone = model_only_recall(CONTENT_DIR, lexicon)
    assert len(alone) == 9
    assert sum(r for r, _ in alone.values()) / len(alone) >= 0.37, alone
    assert min(r for r, _ in alone.values()) >= 0.24, alone
    scores = cross_validate(CONTENT_DIR, lexicon, SETS_DIR)
    mean_false = sum(s.model_false_crisis for s in scores) / len(scores)
    assert mean_false <= 0.03, [(s.name, s.model_false_crisis) for s in scores]
    assert max(s.model_false_crisis for s in scores) <= 0.10
    assert all(s.model_recall >= s.rules_recall for s in scores)


@pytest.mark.slow
def test_the_report_command_prints_the_cross_validation_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--cv", "--content", str(CONTENT_DIR), "--sets-dir", str(SETS_DIR)]) == 0
    out = capsys.readouterr().out
    assert "Leave-one-set-out" in out and "redteam4" in out and "model alone" in out


def test_the_generated_nlu_messages_are_those_of_the_nlu_training_data() -> None:
    expected = render_safety_corpus(NLU_DATA)
    actual = NLU_EXAMPLES.read_text(encoding="utf-8")
    assert actual == expected, "run: .venv/bin/python scripts/build_safety_examples.py"


def test_everyday_answers_do_not_get_the_crisis_reply(lexicon: Lexicon) -> None:
    # Once the model learned only from crisis lines and hard cases (hyperbole), so short
    # everyday answers scored as a crisis: "denk het niet" got the Zelfmoordlijn reply.
    for text in (
        "denk het niet",
        "nee eigenlijk niet",
        "ik wil iemand spreken",
        "i want to talk to someone",
        "verwijder alles van mij",
        "niemand snapt mij",
        "mijn vrienden hebben mij gedropt",
    ):
        assert screen(text, lexicon).level != "crisis", text


def test_everyday_messages_the_model_never_saw_rarely_get_a_crisis_reply(
    lexicon: Lexicon,
) -> None:
    """Hold out every fifth NLU message, train on the rest, screen the held-out ones."""
    assert lexicon.model is not None
    safety, _ = read_examples(CONTENT_DIR / EXAMPLES_FILE)
    nlu, problems = read_nlu_examples(NLU_EXAMPLES)
    assert problems == []
    held, trained = nlu[::5], [e for i, e in enumerate(nlu) if i % 5]
    signal = ModelSignal(
        train_model(safety + trained, lexicon),
        lexicon.model.check_threshold,
        lexicon.model.crisis_threshold,
    )
    fold = replace(lexicon, model=signal)
    everyday = [screen(e.text, fold).level for e in held if e.label == "none"]
    crisis = [screen(e.text, fold).level for e in held if e.label == "crisis"]
    assert len(everyday) > 800 and len(crisis) > 100
    assert everyday.count("crisis") / len(everyday) <= 0.01
    assert (everyday.count("crisis") + everyday.count("check")) / len(everyday) <= 0.03
    assert sum(level != "none" for level in crisis) / len(crisis) >= 0.90


def test_a_missing_or_malformed_nlu_examples_file_is_a_problem(tmp_path: Path) -> None:
    model = "model: {nlu_examples: true, check_threshold: 0.6}\n"
    generated = tmp_path / "generated.yml"
    lexicon, problems = load(toy(tmp_path, model=model), nlu_examples=generated)
    assert lexicon is None
    assert any("generated.yml" in p.render() and "missing" in p.message for p in problems)
    generated.write_text("crisis: hallo\nnone: [a, b]\n")
    lexicon, problems = load(tmp_path, nlu_examples=generated)
    assert lexicon is None
    assert any("'crisis' must be a list" in p.message for p in problems)
    generated.write_text("crisis: [ik wil weg]\nnone: [hallo]\n")
    lexicon, problems = load(tmp_path, nlu_examples=generated)
    assert lexicon is not None and lexicon.model is not None, problems
    bad = "model: {nlu_examples: generated.yml, check_threshold: 0.6}\n"
    lexicon, problems = load(toy(tmp_path, model=bad), nlu_examples=generated)
    assert lexicon is None
    assert any("'nlu_examples' must be true or false" in p.message for p in problems)


def test_the_generated_nlu_messages_ship_with_the_bot_not_in_content() -> None:
    assert NLU_EXAMPLES.exists() and CONTENT_DIR not in NLU_EXAMPLES.parents
    assert not (CONTENT_DIR / "safety_nlu_examples.yml").exists()
