"""Promise: conversations and closed cases are deleted after the retention period (default
90 days, WEGWIJS_RETENTION_DAYS); delivered messages do not linger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.app import App
from bot.delivery.retention import purge
from bot.errors import SettingsError
from bot.infra.sql import Case, OutboxEntry, ProcessedUpdate, Pupil, TranscriptLine, utcnow
from bot.settings import Settings
from tests.privacy.fixtures import RecordingSender
from tests.privacy.scenario import pupil_state, say, sensitive_conversation


async def _count(app: App, model: type, **where: object) -> int:
    async with app.store.transaction() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(await session.scalar(query) or 0)


async def _age(app: App, pupil_id: str, days: int) -> None:
    """Make everything of one pupil look `days` old."""
    then = utcnow() - timedelta(days=days)
    async with app.store.transaction() as session:
        await session.execute(update(Pupil).where(Pupil.id == pupil_id).values(updated_at=then))
        for model in (TranscriptLine, ProcessedUpdate):
            await session.execute(
                update(model).where(model.pupil_id == pupil_id).values(created_at=then)
            )


async def test_pupils_inactive_longer_than_retention_are_deleted_completely(app: App) -> None:
    old = app.cipher.pseudonym("telegram", "old-pupil")
    recent = app.cipher.pseudonym("telegram", "recent-pupil")
    await sensitive_conversation(app, user="old-pupil", crisis=False)
    await sensitive_conversation(app, user="recent-pupil", crisis=False)
    await _age(app, old, 91)

    report = await purge(app.store, utcnow(), 90, app.handoff)

    assert report.pupils == 1 and report.cases == 1 and report.transcript_lines > 0
    assert await pupil_state(app, "old-pupil") is None
    for model in (TranscriptLine, ProcessedUpdate, OutboxEntry, Case):
        assert await _count(app, model, pupil_id=old) == 0, model.__name__
    assert await pupil_state(app, "recent-pupil") is not None
    assert await _count(app, TranscriptLine, pupil_id=recent) > 0
    assert await _count(app, Case, pupil_id=recent) == 1
    # the counsellor side learns that the old pupil's open case is gone
    async with app.store.transaction() as session:
        notices = (
            await session.scalars(
                select(OutboxEntry).where(OutboxEntry.dedupe_key.like("case:%:erased"))
            )
        ).all()
    assert len(notices) == 1 and notices[0].destination.startswith("tg:-1001")


async def test_closed_cases_and_delivered_messages_are_deleted_after_their_time(app: App) -> None:
    await sensitive_conversation(app, user="closer", crisis=False)
    pupil_id = app.cipher.pseudonym("telegram", "closer")
    sender = RecordingSender()
    dispatcher = app.dispatcher({"pupil": sender, "tg": sender})
    while await dispatcher.deliver_due():
        pass
    assert await _count(app, OutboxEntry, status="sent") > 0
    async with app.store.transaction() as session:
        await session.execute(
            update(Case)
            .where(Case.pupil_id == pupil_id)
            .values(status="closed", closed_at=utcnow() - timedelta(days=100))
        )
        await session.execute(update(OutboxEntry).values(sent_at=utcnow() - timedelta(days=2)))

    report = await purge(app.store, utcnow(), 90)

    assert report.cases == 1
    assert await _count(app, Case, pupil_id=pupil_id) == 0
    assert await _count(app, OutboxEntry, status="sent") == 0
    assert await pupil_state(app, "closer") is not None  # still active: the pupil stays


async def test_recent_data_is_kept_and_a_second_purge_deletes_nothing(app: App) -> None:
    await sensitive_conversation(app, user="fresh", crisis=False)
    first = await purge(app.store, utcnow(), 90)
    second = await purge(app.store, utcnow(), 90)
    assert first.pupils == 0 and first.cases == 0 and first.transcript_lines == 0
    assert second.total == 0
    assert await pupil_state(app, "fresh") is not None


async def test_a_pupil_writing_during_the_purge_is_not_deleted(app: App) -> None:
    """The purge re-checks activity inside the pupil's own transaction."""
    pupil_id = app.cipher.pseudonym("telegram", "racer")
    await say(app, "/start", user="racer")
    await _age(app, pupil_id, 120)
    await say(app, button="!flow:probe", user="racer")  # comes back just in time
    report = await purge(app.store, utcnow(), 90)
    assert report.pupils == 0
    assert await pupil_state(app, "racer") is not None


def test_retention_days_default_90_and_configurable(tmp_path: object) -> None:
    assert Settings.from_env({}).retention_days == 90
    assert Settings.from_env({"WEGWIJS_RETENTION_DAYS": "30"}).retention_days == 30
    with pytest.raises(SettingsError):
        Settings.from_env({"WEGWIJS_RETENTION_DAYS": "0"})


async def test_purge_refuses_a_retention_below_one_day(app: App) -> None:
    with pytest.raises(ValueError, match="at least one day"):
        await purge(app.store, utcnow(), 0)
