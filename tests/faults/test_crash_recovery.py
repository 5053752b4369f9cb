"""Fault: the bot process is killed (SIGKILL) at a random moment of a scripted conversation with
a handoff. After a restart the sender replays every line it got no answer for; each line has an
id, so a line that was committed just before the kill is not handled twice. The end state must
equal that of a run without the kill: nothing lost, nothing twice."""

from __future__ import annotations

import contextlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bot.infra.crypto import Cipher
from tests.privacy.support import CHAIN_LENGTH, SECRET
from tests.security.test_hostile_input import jsonl_env
from tests.support.warm_cache import seed

RUNS = 10
USER = "crash-pupil"


def _script() -> list[bytes]:
    steps: list[dict[str, Any]] = [
        {"text": "/start"},
        {"button": "!flow:probe"},
        {"text": "mijn verhaal"},
        {"text": "nog meer"},
        {"button": "!intent:ask_human"},
        {"button": "handoff.consent:full"},
        {"text": "ben je daar?"},
        {"button": "!flow:chain"},
        *({"text": f"schakel {i}"} for i in range(1, CHAIN_LENGTH + 1)),
        {"text": "/privacy"},
    ]
    return [
        json.dumps({"user": USER, "id": f"m{i}", **step}).encode() + b"\n"
        for i, step in enumerate(steps)
    ]


class Bot:
    """A `wegwijs chat --jsonl` process; collects its output lines as they come."""

    def __init__(self, data_dir: Path, content_dir: Path) -> None:
        seed(data_dir, content_dir)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--jsonl", "--data-dir", str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=jsonl_env(content_dir),
        )
        self.answers: list[dict[str, Any]] = []
        self.last_answer_at = 0.0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.append(json.loads(line))
            self.last_answer_at = time.monotonic()

    def feed(self, lines: list[bytes], close: bool) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"".join(lines))
        self.process.stdin.flush()
        if close:
            self.process.stdin.close()

    def finish(self) -> None:
        self.process.wait(timeout=120)
        self._reader.join(timeout=10)
        errors = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
        self._close()
        assert self.process.returncode == 0, errors[-2000:]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        self._close()

    def _close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()


def end_state(data_dir: Path) -> dict[str, Any]:
    """The pupil's decrypted state, transcript, cases and outbox keys, straight from the file."""
    cipher = Cipher(SECRET)
    pupil_id = cipher.pseudonym("console", USER)
    db = sqlite3.connect(data_dir / "wegwijs.db")
    try:
        (state,) = db.execute("SELECT state FROM pupils WHERE id = ?", (pupil_id,)).fetchone()
        transcript = [
            (author, cipher.decrypt(body).decode())
            for author, body in db.execute(
                "SELECT author, body FROM transcript WHERE pupil_id = ? ORDER BY id", (pupil_id,)
            )
        ]
        cases = db.execute(
            "SELECT kind, status FROM cases WHERE pupil_id = ?", (pupil_id,)
        ).fetchall()
        outbox = sorted(row[0] for row in db.execute("SELECT dedupe_key FROM outbox"))
    finally:
        db.close()
    return {"state": cipher.open(state), "transcript": transcript, "cases": cases, "outbox": outbox}


def _wait_for_first_answer(bot: Bot, timeout: float = 60) -> float:
    started = time.monotonic()
    while not bot.answers:
        if bot.process.poll() is not None or time.monotonic() - started > timeout:
            raise AssertionError("the bot never answered")
        time.sleep(0.002)
    return time.monotonic()


def run_once(data_dir: Path, content_dir: Path, kill_after: float | None) -> tuple[int, float]:
    """Run the script; with `kill_after` (seconds after the first answer), SIGKILL the bot
    then start it again and replay the lines it did not answer. Returns (answered before
    the kill, seconds from the first to the last answer)."""
    script = _script()
    bot = Bot(data_dir, content_dir)
    bot.feed(script, close=kill_after is None)
    first = _wait_for_first_answer(bot)
    if kill_after is None:
        bot.finish()
        return len(bot.answers), bot.last_answer_at - first
    time.sleep(kill_after)
    bot.kill()
    answered = len(bot.answers)
    again = Bot(data_dir, content_dir)
    again.feed(script[answered:], close=True)
    again.finish()
    assert len(again.answers) == len(script) - answered
    assert all("replies" in a for a in bot.answers + again.answers)
    return answered, 0.0


@pytest.mark.slow
def test_sigkill_at_a_random_moment_loses_nothing_and_repeats_nothing(
    tmp_path: Path, hardened_content_dir: Path
) -> None:
    answered, duration = run_once(tmp_path / "baseline", hardened_content_dir, None)
    assert answered == len(_script())
    expected = end_state(tmp_path / "baseline")
    assert expected["cases"] == [("human", "pending")]
    rng = random.Random(20240607)
    killed_at = []
    for run in range(RUNS):
        kill_after = rng.uniform(0, duration)
        data_dir = tmp_path / f"run{run}"
        answered, _ = run_once(data_dir, hardened_content_dir, kill_after)
        killed_at.append(answered)
        assert end_state(data_dir) == expected, f"run {run}: killed after {answered} answers"
    print(f"answers took {duration:.3f}s; killed after answers: {killed_at}")
    assert len(set(killed_at)) > 1  # the kills really landed at different moments
