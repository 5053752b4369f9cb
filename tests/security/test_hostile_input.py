"""Threat: hostile or broken input: huge messages, control characters, emoji and right-to-left
text, invalid UTF-8 and garbage on the JSONL channel. Nothing crashes, the session goes on,
nothing is stored beyond the size limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.console import MAX_LINE, parse_line
from bot.conversation.service import MAX_TEXT
from bot.infra.sql import TranscriptLine
from tests.privacy.scenario import EMOJI_RTL, say
from tests.privacy.support import SECRET


async def _transcript(app: App, user: str) -> list[str]:
    pupil_id = app.cipher.pseudonym("telegram", user)
    async with app.store.transaction() as session:
        lines = (
            await session.scalars(
                select(TranscriptLine)
                .where(TranscriptLine.pupil_id == pupil_id, TranscriptLine.author == "pupil")
                .order_by(TranscriptLine.id)
            )
        ).all()
    return [app.cipher.decrypt(line.body).decode() for line in lines]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_oversized_message_is_clipped_and_the_pupil_is_told(app: App) -> None:
    await say(app, "/start", user="big")
    handled = await say(app, "ik " * 20_000, user="big")
    assert handled.messages[0].text == app.content.text("too_long")
    stored = await _transcript(app, "big")
    assert len(stored[-1]) == MAX_TEXT


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_control_characters_are_removed_and_emoji_and_rtl_text_survive(app: App) -> None:
    await say(app, "/start", user="ctl")
    await say(app, button="!flow:probe", user="ctl")
    nasty = "hallo\x00\x1b[31m\x07\x7f\u202e wereld\r\n" + EMOJI_RTL
    handled = await say(app, nasty, user="ctl")
    assert handled.messages
    stored = (await _transcript(app, "ctl"))[-1]
    assert not any(c in stored for c in "\x00\x1b\x07\x7f\u202e\r")
    assert "wereld" in stored
    assert "😢" in stored
    assert "مرحبا" in stored
    assert "שלום" in stored


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_message_of_only_control_characters_is_an_empty_message(app: App) -> None:
    await say(app, "/start", user="empty")
    handled = await say(app, "\x00\x01\x02\u200b\u202e", user="empty")
    assert handled.messages


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b'\xff\xfe{"user": "a"}', "not valid UTF-8"),
        (b'{"user": "a", "text": "\xc3\x28"}', "not valid UTF-8"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"user": "a"', "not valid JSON"),
        (b'{"user": "", "text": "x"}', "user"),
        (b'{"user": true, "text": "x"}', "user"),
        (b'{"user": "a", "text": 5}', "must be strings"),
        (b'{"user": "a", "text": "x", "button": "y"}', "exactly one"),
        (b'{"user": "a", "text": "x", "id": {}}', "'id'"),
        (b'{"user": "a", "text": "x", "id": "' + b"9" * 65 + b'"}', "'id'"),
        (b'{"user": "a", "text": "' + b"x" * MAX_LINE + b'"}', "longer than"),
    ],
)
def test_jsonl_rejects_broken_lines_with_a_reason(raw: bytes, error: str) -> None:
    request, message = parse_line(raw)
    assert request is None
    assert message is not None and error in message


def test_jsonl_accepts_an_optional_message_id() -> None:
    request, _ = parse_line(b'{"user": 7, "text": "hoi", "id": 42}')
    assert request == {"user": "7", "text": "hoi", "button": None, "id": "42"}


def jsonl_env(content_dir: Path) -> dict[str, str]:
    """Environment for a `wegwijs chat --jsonl` subprocess on the test content."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEGWIJS_", "DATABASE_"))}
    env.update(
        {
            "WEGWIJS_SECRET_KEY": SECRET,
            "WEGWIJS_CONTENT_DIR": str(content_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.mark.slow
def test_jsonl_channel_answers_every_broken_line_with_an_error_and_goes_on(
    tmp_path: Path, hardened_content_dir: Path
) -> None:
    lines = [
        b'{"user": "u1", "text": "/start"}',
        b"\xff\xfe\xfa not utf-8 at all",
        b'{"user": "u1", "text": "\xed\xa0\x80 surrogate"}',
        b'{"user": "u1", "text": "' + b"a" * (MAX_LINE * 3) + b'"}',
        b"null",
        b"{",
        b'{"user": "u1", "text": "\\u0000\\u001b[2J ' + EMOJI_RTL.encode() + b'"}',
        b'{"user": "u1", "button": "!flow:probe"}',
        b'{"user": "u1", "text": "nog steeds hier"}',
    ]
    stdin = b"\n".join(lines) + b"\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--jsonl", "--data-dir", str(tmp_path / "d")],
        input=stdin,
        capture_output=True,
        timeout=120,
        env=jsonl_env(hardened_content_dir),
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    errors = [i for i, o in enumerate(out) if "error" in o]
    assert errors == [1, 2, 3, 4, 5]
    assert all(o.get("replies") for i, o in enumerate(out) if i not in errors)
    assert out[-1]["replies"][0]["text"] == "Nog iets?"
