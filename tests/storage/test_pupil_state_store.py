"""Faults: a restart between messages, a duplicate delivery of one update, and two replicas
handling interleaved updates of the same pupil. Both backends (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import func, select

from bot.app import App, build
from bot.conversation.service import Inbound
from bot.flows import engine
from bot.flows.events import ButtonPressed, CommandGiven, PupilText
from bot.flows.state import State
from bot.infra.sql import OutboxEntry, ProcessedUpdate, TranscriptLine
from bot.settings import Settings
from tests.privacy.scenario import canonical, pupil_state, say
from tests.privacy.support import CHAIN_LENGTH


async def test_state_survives_a_restart_of_the_bot(app: App, settings_env: dict[str, str]) -> None:
    await say(app, "/start", user="r1")
    await say(app, button="!flow:probe", user="r1")
    await say(app, "eerste antwoord", user="r1")
    before = await pupil_state(app, "r1")
    assert before is not None and before.slots["probe_story"] == "eerste antwoord"
    restarted = await build(Settings.from_env(settings_env))
    try:
        assert canonical(await pupil_state(restarted, "r1")) == canonical(before)
        await say(restarted, "tweede antwoord", user="r1")
        after = await pupil_state(restarted, "r1")
        assert after is not None and after.slots["probe_more"] == "tweede antwoord"
    finally:
        await restarted.close()


async def _count(app: App, model: type, pupil_id: str) -> int:
    async with app.store.transaction() as session:
        column = model.pupil_id  # type: ignore[attr-defined]
        return int(await session.scalar(select(func.count()).where(column == pupil_id)) or 0)


async def test_duplicate_delivery_of_an_update_is_handled_once(app: App) -> None:
    pupil_id = app.cipher.pseudonym("telegram", "dup")
    first = await app.service.handle(Inbound("telegram", "dup", "dup", "u-1", text="/start"))
    counts = [await _count(app, m, pupil_id) for m in (TranscriptLine, OutboxEntry)]
    again = await app.service.handle(Inbound("telegram", "dup", "dup", "u-1", text="/start"))
    assert first.messages and not first.duplicate
    assert again.duplicate and again.messages == ()
    assert [await _count(app, m, pupil_id) for m in (TranscriptLine, OutboxEntry)] == counts
    assert await _count(app, ProcessedUpdate, pupil_id) == 1


async def test_concurrent_duplicates_from_two_replicas_are_handled_once(
    app: App, settings_env: dict[str, str]
) -> None:
    other = await build(Settings.from_env(settings_env))
    try:
        await say(app, "/start", user="dup2")
        inbound = Inbound("telegram", "dup2", "dup2", "u-9", button="!flow:probe")
        results = await asyncio.gather(
            *(replica.service.handle(inbound) for replica in (app, other, app, other))
        )
        assert sorted(r.duplicate for r in results) == [False, True, True, True]
    finally:
        await other.close()


async def test_two_replicas_interleaving_one_pupils_updates_lose_and_reorder_nothing(
    app: App, settings_env: dict[str, str]
) -> None:
    """Every update moves the pupil one question on; each must see the state left by the one
    committed before it. Lost updates would leave questions unanswered, interleaved
    transactions would mix up the transcript."""
    other = await build(Settings.from_env(settings_env))
    user = "replica-pupil"
    try:
        await say(app, "/start", user=user)
        await say(other, button="!flow:chain", user=user)
        texts = [f"antwoord {i}" for i in range(1, CHAIN_LENGTH + 1)]
        replicas = [app if i % 2 else other for i in range(CHAIN_LENGTH)]
        random.Random(7).shuffle(replicas)

        async def send(replica: App, index: int, text: str) -> None:
            await asyncio.sleep(random.Random(index).uniform(0, 0.02))
            handled = await replica.service.handle(
                Inbound("telegram", user, user, f"chain-{index}", text=text)
            )
            assert handled.messages and not handled.duplicate

        await asyncio.gather(
            *(send(r, i, t) for i, (r, t) in enumerate(zip(replicas, texts, strict=True)))
        )
        state = await pupil_state(app, user)
        assert state is not None
        pupil_id = app.cipher.pseudonym("telegram", user)
        async with app.store.transaction() as session:
            lines = (
                await session.scalars(
                    select(TranscriptLine)
                    .where(TranscriptLine.pupil_id == pupil_id)
                    .order_by(TranscriptLine.id)
                )
            ).all()
        transcript = [(line.author, app.cipher.decrypt(line.body).decode()) for line in lines]
        said = [text for author, text in transcript if author == "pupil"]
        assert sorted(said) == sorted(texts)  # nothing lost, nothing twice
        answered = [state.slots.get(f"chain_{k}") for k in range(1, CHAIN_LENGTH + 1)]
        assert answered == said  # the k-th committed update answered question k
        for k in range(1, CHAIN_LENGTH):  # each update's replies follow it directly
            position = transcript.index(("pupil", said[k - 1]))
            assert transcript[position + 1] == ("bot", f"Vraag {k + 1}?")
        replay = State()
        for event in [
            CommandGiven("start", ""),
            ButtonPressed("!flow:chain"),
            *(PupilText(text, None) for text in said),
        ]:
            replay = engine.step(app.content, replay, event).state
        assert canonical(replay) == canonical(state)
    finally:
        await other.close()
