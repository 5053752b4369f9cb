"""Preview: `wegwijs chat --flow NAME[.STEP] --slot name=value --debug` for editors."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.console import run_interactive
from bot.conversation.seed import StartError, check_start, parse_slots
from tests.support.conversation import real_content
from tests.support.jsonl import BIN


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], None]:
    """What the operator types at the prompt; end of input ends the chat."""

    def type_lines(lines: list[str]) -> None:
        pending: Iterator[str] = iter(lines)

        def fake_input(prompt: str = "") -> str:
            line = next(pending, None)
            if line is None:
                raise EOFError
            return line

        monkeypatch.setattr("builtins.input", fake_input)

    return type_lines


async def test_preview_at_a_step_asks_its_question_and_shows_step_and_slots_each_turn(
    app: App, typed: Callable[[list[str]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    typed(["1"])  # the first button of the question: "Sla over"
    await run_interactive(app.service, start="quit_school.situation", slots={"age": 16},
                          debug=True)
    out = capsys.readouterr().out
    first, _, after = out.partition("[debug]")  # (the fake input prints no prompt)
    assert "Wil je vertellen wat er speelt?" in first
    assert "1) Sla over" in first
    assert after.startswith(" at quit_school.situation | slots: age=16\n")
    assert "[debug] at quit_school.intake > intake." in after
    assert "situation='skipped'" in after


async def test_preview_at_a_flow_runs_it_from_its_first_step(
    app: App, typed: Callable[[list[str]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    typed([])
    await run_interactive(app.service, start="quit_school", debug=True)
    out = capsys.readouterr().out
    assert "Je denkt erover om te stoppen met school" in out
    assert "automatische assistent" not in out  # not the welcome of /start
    assert "[debug] at quit_school.situation | slots: (none)" in out


async def test_without_debug_the_chat_shows_no_state(
    app: App, typed: Callable[[list[str]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    typed(["1"])
    await run_interactive(app.service)
    out = capsys.readouterr().out
    assert "automatische assistent" in out
    assert "[debug]" not in out


def test_a_start_or_slot_the_content_does_not_have_is_refused_with_the_choices() -> None:
    content = real_content()
    check_start(content, "quit_school.situation")
    with pytest.raises(StartError, match=r"has no step .nope. .*situation"):
        check_start(content, "quit_school.nope")
    with pytest.raises(StartError, match="no flow 'quit'"):
        check_start(content, "quit")
    assert parse_slots(content, ["age=16", "topic=quit"]) == {"age": 16, "topic": "quit"}
    with pytest.raises(StartError, match=r"cannot be .stoppen. .*quit"):
        parse_slots(content, ["topic=stoppen"])
    with pytest.raises(StartError, match="number"):
        parse_slots(content, ["age=zestien"])
    with pytest.raises(StartError, match="name=value"):
        parse_slots(content, ["leeftijd=16"])


def _chat(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"RASA_URL", "DATABASE_URL", "WEGWIJS_DATA_DIR"}}
    env["WEGWIJS_SECRET_KEY"] = "preview-test-secret-0123456789"
    return subprocess.run([str(BIN), "chat", "--data-dir", str(tmp_path / "data"), *args],
                          input=stdin, capture_output=True, text=True, env=env, timeout=120,
                          check=False)


@pytest.mark.slow
def test_the_chat_command_previews_a_flow_and_refuses_preview_on_the_machine_protocol(
    tmp_path: Path,
) -> None:
    done = _chat(tmp_path, "--flow", "quit_school", "--slot", "age=16", "--debug", stdin="1\n")
    assert done.returncode == 0, done.stderr
    assert "[debug] at quit_school.situation | slots: age=16" in done.stdout
    assert "situation='skipped'" in done.stdout
    wrong = _chat(tmp_path, "--flow", "quit_school.nope")
    assert wrong.returncode == 2
    assert "has no step 'nope'" in wrong.stderr
    jsonl = _chat(tmp_path, "--jsonl", "--debug")
    assert jsonl.returncode == 2
    assert "not --jsonl" in jsonl.stderr
