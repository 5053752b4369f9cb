"""At start-up the understanding path runs once on a content text, so the first pupil who
writes does not pay for a cold Rasa (its first parse takes about 180 ms) or cold caches."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import App
from bot.flows.nlu import NluResult
from bot.infra.sql import OutboxEntry, Pupil


class RecordingNlu:
    def __init__(self) -> None:
        self.texts: list[str] = []

    async def parse(self, text: str) -> NluResult | None:
        self.texts.append(text)
        return None


async def test_warm_up_parses_a_content_text_and_stores_nothing(app: App) -> None:
    nlu = RecordingNlu()
    app.service.nlu = nlu
    await app.service.warm_up()
    assert nlu.texts == [app.content.text("busy_retry")]
    async with app.store.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Pupil)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxEntry)) == 0


async def test_the_running_app_warms_up_in_the_background(app: App) -> None:
    nlu = RecordingNlu()
    app.service.nlu = nlu
    async with app.running({}):
        for _ in range(100):
            if nlu.texts:
                break
            await asyncio.sleep(0.02)
    assert nlu.texts == [app.content.text("busy_retry")]
