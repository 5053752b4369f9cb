"""Telegram's limits, kept by the sender's limiter (pure timing, no server)."""

from __future__ import annotations

import time

import pytest

from bot.channels.telegram_sender import RateLimiter
from bot.errors import RetryLater


async def test_one_chat_gets_a_burst_then_one_message_per_interval() -> None:
    limiter = RateLimiter(per_chat=10.0, chat_burst=2, max_sleep=1.0)
    start = time.monotonic()
    for _ in range(4):
        await limiter.acquire("1001")
    assert 0.18 <= time.monotonic() - start < 0.5


async def test_a_long_wait_becomes_retry_later_instead_of_stalling_the_outbox() -> None:
    limiter = RateLimiter(per_chat=1.0, chat_burst=1, max_sleep=0.25)
    await limiter.acquire("1001")
    with pytest.raises(RetryLater) as raised:
        await limiter.acquire("1001")
    assert raised.value.retry_after is not None and 0.7 < raised.value.retry_after <= 1.0
    await limiter.acquire("1002")  # another chat is not held up


async def test_groups_get_twenty_messages_a_minute() -> None:
    limiter = RateLimiter(per_group=20 / 60, group_burst=1, max_sleep=0.25)
    await limiter.acquire("-100123")
    with pytest.raises(RetryLater) as raised:
        await limiter.acquire("-100123")
    assert raised.value.retry_after is not None and raised.value.retry_after > 2.5


async def test_all_chats_together_stay_under_the_overall_rate() -> None:
    limiter = RateLimiter(overall=20.0, max_sleep=0.01)  # the overall wait is always slept
    start = time.monotonic()
    for chat in range(30):
        await limiter.acquire(str(2000 + chat))
    assert time.monotonic() - start >= 0.45  # 20 at once, then 10 more at 20/s
