"""A process killed with SIGKILL mid-conversation continues at the same step after restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.jsonl import JsonlBot

pytestmark = pytest.mark.slow

SCRIPT: list[dict[str, Any]] = [
    {"text": "/start"},
    {"text": "Praten met een mens"},
    {"text": "toch niet"},
    {"text": "/privacy"},
    {"text": "/start"},
    {"text": "6"},
    {"text": "terug"},
    {"text": "/help"},
]


def run(data_dir: Path, kill_after: int | None) -> list[Any]:
    replies = []
    bot = JsonlBot(data_dir)
    for index, request in enumerate(SCRIPT):
        if index == kill_after:
            bot.kill()
            bot = JsonlBot(data_dir)
        replies.append(bot.send(user="pupil", **request)["replies"])
    bot.close()
    return replies


@pytest.mark.parametrize("kill_after", [2, 5])
def test_sigkill_then_restart_gives_the_same_replies(tmp_path: Path, kill_after: int) -> None:
    assert run(tmp_path / "killed", kill_after) == run(tmp_path / "clean", None)
