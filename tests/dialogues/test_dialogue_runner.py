"""The editors' dialogue tests (`wegwijs content test`): parsing, running, reporting, figures."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialogues.listening import measure
from bot.dialogues.spec import load_dialogues
from bot.dialogues.suite import report, run_suite
from bot.nlu_tools.server import RasaServer
from bot.settings import Secret, Settings

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
BLIND = ROOT / "tests" / "dialogues" / "blind" / "conversations.yml"


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, content_dir=CONTENT)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dialogue.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_mistake_in_a_dialogue_file_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "dialogues:\n  - name: x\n    turns:\n      - pupil: hoi\n"
                            "        safety: danger\n      - zeg: iets\n")
    _, problems = load_dialogues([path], tmp_path)
    rendered = "\n".join(p.render() for p in problems)
    assert "dialogue.yml:5" in rendered and "crisis, check, care or none" in rendered
    assert "dialogue.yml:6" in rendered and "'pupil:' or 'press:'" in rendered


def test_a_failing_expectation_names_file_line_and_shows_the_conversation(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "dialogues:\n  - name: spijbelen\n    start: truancy.amount\n"
                            "    turns:\n      - pupil: \"een paar dagen\"\n"
                            "        says: \"dit staat er niet\"\n")
    results, problems = asyncio.run(run_suite(_settings(tmp_path), [path], use_rasa=False))
    assert not problems
    text, passed = report(results, problems)
    assert not passed
    assert "dialogue.yml:5: dialogue 'spijbelen', turn 1" in text
    assert 'expected the bot to say "dit staat er niet"' in text
    assert "pupil: een paar dagen" in text and "bot:" in text
    assert text.rstrip().endswith("0 passed, 1 failed")


def test_a_button_that_was_not_offered_fails_the_dialogue(tmp_path: Path) -> None:
    path = _write(tmp_path, "dialogues:\n  - name: knop\n    turns:\n      - pupil: /start\n"
                            "      - press: Bestaat niet\n")
    results, _ = asyncio.run(run_suite(_settings(tmp_path), [path], use_rasa=False))
    failure = results[0].failure
    assert failure is not None and "'Bestaat niet' was not offered" in failure.render()


def test_every_editor_dialogue_passes(tmp_path: Path) -> None:
    results, problems = asyncio.run(run_suite(_settings(tmp_path), [], use_rasa=False))
    text, passed = report(results, problems)
    assert passed, text
    assert len(results) >= 16


def test_the_blind_conversations_are_heard_without_rasa(tmp_path: Path) -> None:
    """The blind set (written by someone who never saw the flows): keyword mode only."""
    results, problems = asyncio.run(run_suite(_settings(tmp_path), [BLIND], use_rasa=False))
    assert not problems
    figures = measure(results)
    assert figures.dialogues >= 70 and figures.turns >= 500
    assert figures.not_understood / figures.turns <= 0.05
    assert figures.hijacks == 0
    assert figures.asked_again == 0


@pytest.mark.rasa
@pytest.mark.slow
def test_the_blind_conversations_are_heard_with_the_real_model(rasa_server: RasaServer,
                                                               tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, content_dir=CONTENT, rasa_url=rasa_server.url,
                        rasa_token=Secret(rasa_server.token))
    results, problems = asyncio.run(run_suite(settings, [BLIND], use_rasa=True))
    assert not problems
    figures = measure(results)
    assert figures.not_understood / figures.turns <= 0.05
    assert figures.hijacks == 0
    assert figures.asked_again == 0


def test_the_command_prints_the_report_and_fails_on_a_failing_dialogue(tmp_path: Path) -> None:
    path = _write(tmp_path, "dialogues:\n  - name: x\n    turns:\n      - pupil: hoi\n"
                            "        says: \"niet aanwezig\"\n")
    env = {**os.environ, "WEGWIJS_DATA_DIR": str(tmp_path)}
    env.pop("RASA_URL", None)
    done = subprocess.run([sys.executable, "-m", "bot", "content", "test", str(path)],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert done.returncode == 1
    assert "0 passed, 1 failed" in done.stdout
