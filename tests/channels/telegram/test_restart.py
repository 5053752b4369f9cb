"""A bot killed in the middle of a conversation continues at the same step, losing nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.channels.telegram.conftest import bot_env
from tests.channels.telegram.process import BotProcess
from tests.support.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.slow


def step(api: FakeBotApi, user: int, action: str) -> None:
    """Do one thing and wait until the bot's reply (with its new buttons) has arrived."""
    before = len(api.sent(user))
    if action == "start":
        api.push_command(user, "start")
    else:
        api.press(user, api.buttons(user)[0])
    api.wait_for(lambda: len(api.sent(user)) > before, 10)
    time.sleep(0.3)  # the rest of this reply


def test_sigkill_mid_conversation_then_restart_continues_at_the_same_step(
        api: FakeBotApi, tmp_path: Path, content_dir: Path) -> None:
    env = bot_env(api, tmp_path / "data", content_dir)
    first = BotProcess(api, env).start()
    step(api, 1, "start")
    step(api, 1, "press")
    first.kill()
    second = BotProcess(api, env).start()
    try:
        step(api, 1, "press")
        for action in ("start", "press", "press"):  # the same path without a restart
            step(api, 2, action)
    finally:
        second.close()
        first.close()
    assert api.texts(1) == api.texts(2)


def test_a_reply_not_yet_delivered_when_killed_is_delivered_once_after_restart(
        api: FakeBotApi, tmp_path: Path, content_dir: Path) -> None:
    env = bot_env(api, tmp_path / "data", content_dir)
    first = BotProcess(api, env).start()
    api.fail("sendMessage", times=1000, status=502)
    api.push_command(3, "help")
    api.wait_for(lambda: any(c.fault for c in api.calls_of("sendMessage")), 10)
    time.sleep(0.3)  # the failure is recorded (killed mid-send, the entry's 60 s lease holds it)
    first.kill()
    api.clear_faults()
    second = BotProcess(api, env).start()
    try:
        api.push_command(4, "help")
        api.wait_for(lambda: bool(api.sent(4)) and len(api.sent(3)) >= len(api.sent(4)), 15)
        time.sleep(0.5)
    finally:
        second.close()
        first.close()
    assert api.texts(3) == api.texts(4)
