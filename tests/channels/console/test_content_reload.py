"""`wegwijs content reload` reaches a running `wegwijs chat` through its pid file and SIGHUP."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.infra.running import announce, running
from tests.support.conversation import CONTENT_DIR
from tests.support.jsonl import BIN, JsonlBot

pytestmark = pytest.mark.slow

SKIPPED_TEXT = "Dat is oké. Je hoeft niets te vertellen wat je niet wil."
NEW_TEXT = "Helemaal goed. Je hoeft niets te vertellen."


def copy_content(tmp_path: Path) -> Path:
    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    docs = CONTENT_DIR.parent / "docs"
    if docs.is_dir():
        shutil.copytree(docs, tmp_path / "docs")
    return tmp_path / "content"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def reload_command(data_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), "content", "reload", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env={**os.environ, **env},
                          timeout=120, check=False)


def button(answer: dict[str, Any], title: str) -> str:
    payload: str = next(b["payload"] for r in answer["replies"] for b in r.get("buttons", [])
                        if b["title"] == title)
    return payload


def texts(answer: dict[str, Any]) -> list[str]:
    return [r["text"] for r in answer["replies"]]


def test_a_checked_change_reaches_the_running_chat_and_a_broken_one_never_does(
    tmp_path: Path,
) -> None:
    content, data = copy_content(tmp_path), tmp_path / "data"
    env = {"WEGWIJS_CONTENT_DIR": str(content), "WEGWIJS_SECRET_KEY": "reload-test-0123456789"}
    bot = JsonlBot(data, env)
    try:
        menu = bot.send(user="u1", text="/start")
        asked = bot.send(user="u1", button=button(menu, "Ik wil stoppen met school"))
        motivation = content / "flows" / "motivation.yml"
        edit(motivation, SKIPPED_TEXT, NEW_TEXT)

        done = reload_command(data, env)
        assert done.returncode == 0, done.stderr
        assert f"asked console (pid {bot.process.pid}) to reload" in done.stdout
        assert NEW_TEXT in texts(bot.send(user="u1", button=button(asked, "Sla over")))

        edit(motivation, "        call: intake", "        call: intaek")
        refused = reload_command(data, env)
        assert refused.returncode == 1
        assert "not reloaded" in refused.stderr
        assert "motivation.yml" in refused.stdout  # the editor's report: file and line
        os.kill(bot.process.pid, signal.SIGHUP)  # past the command: the bot checks too
        again = bot.send(user="u1", text="/start")
        later = bot.send(user="u1", button=button(again, "Ik wil stoppen met school"))
        assert NEW_TEXT in texts(bot.send(user="u1", button=button(later, "Sla over")))
    finally:
        assert bot.process.stdin is not None and bot.process.stderr is not None
        bot.process.stdin.close()
        bot.process.wait(timeout=60)
        log = bot.process.stderr.read().decode()
        bot.close()
    assert "content reload refused" in log
    assert "flows/motivation.yml:" in log
    assert not running(data)  # the pid file went with the process


def test_reload_without_a_running_bot_says_so_and_removes_a_dead_pid_file(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with announce(data, "telegram") as path:
        kept = path.read_text()
    dead = data / "running" / "telegram-999999.pid"  # left by a process killed with SIGKILL
    dead.write_text(kept)
    done = reload_command(data, {"WEGWIJS_SECRET_KEY": "reload-test-0123456789"})
    assert done.returncode == 1
    assert "no running Wegwijs" in done.stderr
    assert not dead.exists()
