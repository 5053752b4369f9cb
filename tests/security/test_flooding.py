"""Threat: a pupil (or a stuck client) flooding the bot. Every message is still handled (nothing
dropped silently); the pupil gets the friendly slow_down text once per burst."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.conversation.guard import FloodGuard
from tests.privacy.scenario import say


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_flood_guard_warns_once_per_burst_and_recovers() -> None:
    clock = Clock()
    guard = FloodGuard(burst=5, rate=1.0, clock=clock)
    warnings = [guard.hit("p") for _ in range(20)]
    assert warnings[:5] == [False] * 5
    assert warnings[5] is True
    assert not any(warnings[6:])
    clock.now += 10  # calm again: the bucket refills
    assert not any(guard.hit("p") for _ in range(5))
    assert guard.hit("p") is True  # a new burst gets a new (single) warning


def test_flood_guard_counts_each_pupil_separately() -> None:
    clock = Clock()
    guard = FloodGuard(burst=2, rate=0.1, clock=clock)
    assert [guard.hit("a") for _ in range(3)] == [False, False, True]
    assert [guard.hit("b") for _ in range(2)] == [False, False]


def test_flood_guard_memory_is_bounded() -> None:
    clock = Clock()
    guard = FloodGuard(burst=2, rate=1.0, clock=clock, max_pupils=100)
    for i in range(1000):
        guard.hit(f"p{i}")
    assert len(guard._buckets) <= 100


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_flooding_pupil_gets_slow_down_once_and_every_message_is_handled(app: App) -> None:
    slow_down = app.content.text("slow_down")
    app.service.guard = FloodGuard(burst=4, rate=0.001)
    await say(app, "/start", user="flood")
    await say(app, button="!flow:chain", user="flood")
    replies = [await say(app, f"bericht {i}", user="flood") for i in range(1, 11)]
    warned = [i for i, r in enumerate(replies) if any(m.text == slow_down for m in r.messages)]
    assert len(warned) == 1
    # nothing dropped: every message moved the chain one step and got its own reply
    assert all(r.messages and not r.duplicate for r in replies)
    from tests.privacy.scenario import pupil_state

    state = await pupil_state(app, "flood")
    assert state is not None
    assert [state.slots.get(f"chain_{i}") for i in range(1, 11)] == [
        f"bericht {i}" for i in range(1, 11)
    ]
