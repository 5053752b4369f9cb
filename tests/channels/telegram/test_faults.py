"""Telegram failing: 429, 5xx and dropped connections; every reply arrives exactly once."""

from __future__ import annotations

import time

import pytest

from tests.support.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.usefixtures("shared_bot")

REFERENCE_USER = 650_001


def settle(api: FakeBotApi, chat: int, quiet: float = 0.4) -> list[str]:
    """Wait until no new message reached the chat for `quiet` seconds; return its texts."""
    count, since = -1, time.monotonic()
    while time.monotonic() - since < quiet:
        if len(api.sent(chat)) != count:
            count, since = len(api.sent(chat)), time.monotonic()
        time.sleep(0.02)
    return api.texts(chat)


def help_then_privacy(api: FakeBotApi, user: int) -> None:
    api.push_command(user, "help")
    api.push_command(user, "privacy")


@pytest.fixture
def reference(shared_api: FakeBotApi) -> list[str]:
    """The replies to /help then /privacy when nothing fails."""
    if not shared_api.sent(REFERENCE_USER):
        help_then_privacy(shared_api, REFERENCE_USER)
        shared_api.wait_for(lambda: bool(shared_api.sent(REFERENCE_USER)))
    return settle(shared_api, REFERENCE_USER)


@pytest.mark.parametrize("fault", ["429", "500", "502", "drop"])
def test_a_failed_send_is_retried_and_delivered_exactly_once(
        shared_api: FakeBotApi, user: int, reference: list[str], fault: str) -> None:
    if fault == "drop":
        shared_api.drop("sendMessage")
    else:
        shared_api.fail("sendMessage", 1, int(fault), retry_after=1 if fault == "429" else None)
    help_then_privacy(shared_api, user)
    shared_api.wait_for(lambda: len(shared_api.sent(user)) >= len(reference), 8)
    assert settle(shared_api, user) == reference
    failed = [c for c in shared_api.calls_of("sendMessage") if c.fault is not None]
    assert str(failed[-1].params["chat_id"]) == str(user)


def test_after_a_429_the_bot_waits_at_least_retry_after(shared_api: FakeBotApi,
                                                        user: int) -> None:
    shared_api.fail("sendMessage", 1, 429, retry_after=2)
    shared_api.push_command(user, "help")
    shared_api.wait_for(lambda: bool(shared_api.sent(user)), 8)
    calls = [c for c in shared_api.calls_of("sendMessage") if str(c.params["chat_id"]) == str(user)]
    assert calls[0].fault == "429"
    assert calls[1].at - calls[0].at >= 2.0
