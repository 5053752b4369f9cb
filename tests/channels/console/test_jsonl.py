"""End to end through `wegwijs chat --jsonl` as a subprocess, as outside tools use it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.jsonl import BIN, JsonlBot

pytestmark = pytest.mark.slow


@pytest.fixture
def bot(tmp_path: Path) -> JsonlBot:
    running = JsonlBot(tmp_path / "data")
    yield running  # type: ignore[misc]
    running.close()


def test_start_gives_welcome_saying_it_is_automated_with_menu_buttons(bot: JsonlBot) -> None:
    answer = bot.send(user="u1", text="/start")
    assert answer["user"] == "u1"
    texts = " ".join(r["text"] for r in answer["replies"])
    assert "automatische assistent" in texts
    assert "/privacy" in texts
    buttons = answer["replies"][-1]["buttons"]
    assert len(buttons) >= 4
    assert all(len(b["payload"].encode()) <= 64 for b in buttons)


def test_button_payload_moves_on_and_stale_payload_repeats_question(bot: JsonlBot) -> None:
    first = bot.send(user="u1", text="/start")
    human = next(b for b in first["replies"][-1]["buttons"] if "mens" in b["title"].lower())
    consent = bot.send(user="u1", button=human["payload"])
    assert consent["replies"][-1]["buttons"]
    stale = bot.send(user="u1", button=human["payload"])
    assert stale["replies"][-1]["text"] == consent["replies"][-1]["text"]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"text": "hoi"}', "'user'"),
        (b'{"user": "u1"}', "exactly one"),
        (b'{"user": "u1", "text": 5}', "strings"),
        (b'{"user": "u1", "text": "\xff\xfe"}', "UTF-8"),
    ],
)
def test_bad_lines_get_an_error_and_the_session_goes_on(
    bot: JsonlBot, line: bytes, error: str
) -> None:
    answer = bot.raw(line)
    assert error in answer["error"]
    assert bot.send(user="u1", text="/start")["replies"]


@pytest.mark.parametrize(
    "text", ["", "   ", "x" * 10_000, "😀🙈🔥", "مرحبا أنا طالب", "\u0000\u0007ok"]
)
def test_odd_texts_get_a_friendly_answer(bot: JsonlBot, text: str) -> None:
    bot.send(user="u2", text="/start")
    answer = bot.send(user="u2", text=text)
    assert answer["replies"], text


def test_pipe_from_shell_prints_welcome(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN), "chat", "--jsonl", "--data-dir", str(tmp_path)],
        input=b'{"user":"a","text":"/start"}\n',
        capture_output=True,
        timeout=60,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["replies"][-1]["buttons"]
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
