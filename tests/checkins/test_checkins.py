"""Check-ins through the service and the outbox: the chosen time, the limit, stop and erase,
exactly once under restarts and two replicas (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import App, build
from bot.delivery.quiet_hours import LOCAL
from bot.infra.sql import OutboxEntry
from bot.infra.tracking import Checkin, Event
from tests.checkins.conftest import Pupil, Recorder, days_ago, local, make_plan, settings_for
from tests.support.conversation import real_content


async def checkin_rows(app: App, pupil_id: str) -> list[Checkin]:
    async with app.store.transaction() as session:
        return list((await session.scalars(
            select(Checkin).where(Checkin.pupil_id == pupil_id).order_by(Checkin.id))).all())


async def event_count(app: App, kind: str) -> int:
    async with app.store.transaction() as session:
        return int(await session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == kind)) or 0)


async def test_yes_plans_one_check_in_at_the_chosen_day_out_of_the_quiet_hours(app: App) -> None:
    asked_at = local(days_ago(3), 22, 30)  # late in the evening
    app.service.checkins.clock = lambda: asked_at  # type: ignore[union-attr]
    pupil = Pupil(app, "4101")
    await make_plan(pupil)
    await pupil.press("Ja, over een week")
    assert any("Afgesproken" in t for t in pupil.texts)
    [row] = await checkin_rows(app, pupil.pupil_id)
    assert (row.status, row.about, row.channel) == ("planned", "plan", "telegram")
    due = row.due_at.astimezone(LOCAL)
    assert (due.date() - asked_at.astimezone(LOCAL).date()).days == 8  # next morning
    assert (due.hour, due.minute) == (8, 0)
    async with app.store.transaction() as session:
        entry = await session.get(OutboxEntry, row.outbox_id)
    assert entry is not None and entry.destination == f"checkin:{pupil.pupil_id}"
    assert entry.next_attempt_at.astimezone(LOCAL) == due
    # not due yet: the dispatcher sends the replies, never the check-in
    recorder = Recorder()
    await app.dispatcher({"pupil": recorder}).deliver_due()
    assert recorder.checkins() == []
    assert await event_count(app, "checkin_planned") == 1


async def test_a_due_check_in_is_sent_once_with_its_buttons_and_counted(app: App) -> None:
    app.service.checkins.clock = lambda: local(days_ago(9), 15, 0)  # type: ignore[union-attr]
    pupil = Pupil(app, "4102")
    await make_plan(pupil)
    await pupil.press("Ja, over een week")
    recorder = Recorder()
    dispatcher = app.dispatcher({"pupil": recorder})
    for _ in range(3):
        await dispatcher.deliver_due()
    [(destination, payload)] = [(d, p) for d, p in recorder.sent if "checkin" in p]
    assert destination == f"pupil:{pupil.pupil_id}"
    assert payload["text"] == app.content.text("checkin_hello")
    assert [b["payload"] for b in payload["buttons"]] == ["!flow:checkin", "!flow:checkin_stop"]
    [row] = await checkin_rows(app, pupil.pupil_id)
    assert row.status == "sent"
    assert await event_count(app, "checkin_sent") == 1
    # the pupil opens it: how did it go, the step of the plan, a person?
    await pupil.send(button="!flow:checkin")
    await pupil.press("Goed")
    assert any("mijn leerkracht wiskunde aanspreken" in t for t in pupil.texts)
    await pupil.press("Ja, gelukt!")
    assert any("echte persoon" in t for t in pupil.texts)
    [row] = await checkin_rows(app, pupil.pupil_id)
    assert row.status == "answered"
    assert await event_count(app, "checkin_answered") == 1


async def test_one_tap_stops_the_planned_check_in_and_none_is_sent(app: App) -> None:
    app.service.checkins.clock = lambda: local(days_ago(9), 15, 0)  # type: ignore[union-attr]
    pupil = Pupil(app, "4103")
    await make_plan(pupil)
    await pupil.press("Ja, over 2 weken")
    await pupil.send(button="!flow:checkin_stop")
    assert any("geen berichtjes meer" in t for t in pupil.texts)
    recorder = Recorder()
    await app.dispatcher({"pupil": recorder}).deliver_due()
    assert recorder.checkins() == []
    [row] = await checkin_rows(app, pupil.pupil_id)
    assert row.status == "stopped"
    # and the bot does not offer again
    await edit_plan(pupil)
    assert not any("Mag ik je over een week" in t for t in pupil.texts)


async def edit_plan(pupil: Pupil) -> None:
    """Change the first step of an existing plan, up to the check-in offer (if any)."""
    await pupil.send("/mijnplan")
    await pupil.press("Aanpassen")
    await pupil.press("Mijn eerste stap")
    await pupil.send("een mail sturen naar het CLB")


async def test_stop_command_cancels_the_check_ins_too(app: App) -> None:
    app.service.checkins.clock = lambda: local(days_ago(9), 15, 0)  # type: ignore[union-attr]
    pupil = Pupil(app, "4104")
    await make_plan(pupil)
    await pupil.press("Ja, over een week")
    await pupil.send("/stop")
    recorder = Recorder()
    await app.dispatcher({"pupil": recorder}).deliver_due()
    assert recorder.checkins() == []
    assert [r.status for r in await checkin_rows(app, pupil.pupil_id)] == ["stopped"]
    async with app.store.transaction() as session:
        statuses = (await session.scalars(select(OutboxEntry.status).where(
            OutboxEntry.destination == f"checkin:{pupil.pupil_id}"))).all()
    assert list(statuses) == ["cancelled"]


async def test_forget_erases_the_check_ins(app: App) -> None:
    pupil = Pupil(app, "4105")
    await make_plan(pupil)
    await pupil.press("Ja, over 2 weken")
    assert len(await checkin_rows(app, pupil.pupil_id)) == 1
    await pupil.send("/vergeet")
    await pupil.press("Ja, wis alles")
    assert await checkin_rows(app, pupil.pupil_id) == []
    async with app.store.transaction() as session:
        left = await session.scalar(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.destination == f"checkin:{pupil.pupil_id}"))
    assert left == 0


async def test_one_planned_at_a_time_and_at_most_the_limit_per_pupil(
        database_url: str, tmp_path: Path) -> None:
    built = await build(settings_for(database_url, tmp_path / "d", WEGWIJS_CHECKINS_MAX="2"),
                        content=real_content())
    try:
        checkins = built.service.checkins
        assert checkins is not None
        checkins.clock = lambda: local(days_ago(9), 15, 0)
        pupil = Pupil(built, "4106")
        dispatcher = built.dispatcher({"pupil": Recorder()})
        await make_plan(pupil)
        await pupil.press("Ja, over een week")
        await edit_plan(pupil)
        await pupil.press("Ja, over 2 weken")
        assert built.content.text("checkin_already") in pupil.texts
        await dispatcher.deliver_due()
        await edit_plan(pupil)
        await pupil.press("Ja, over een week")
        assert built.content.text("checkin_planned") in pupil.texts
        await dispatcher.deliver_due()
        await edit_plan(pupil)
        await pupil.press("Ja, over een week")
        assert built.content.text("checkin_limit") in pupil.texts
        statuses = [r.status for r in await checkin_rows(built, pupil.pupil_id)]
        assert statuses == ["sent", "sent"]
    finally:
        await built.close()


async def test_two_replicas_and_a_restart_deliver_each_check_in_exactly_once(
        database_url: str, tmp_path: Path) -> None:
    first = await build(settings_for(database_url, tmp_path / "a"), content=real_content())
    pupils = [Pupil(first, f"42{n:02d}") for n in range(6)]
    checkins = first.service.checkins
    assert checkins is not None
    checkins.clock = lambda: local(days_ago(9), 15, 0)
    for pupil in pupils:
        await make_plan(pupil)
        await pupil.press("Ja, over een week")
    await first.close()  # the process that planned them is gone
    replicas = [await build(settings_for(database_url, tmp_path / n), content=real_content())
                for n in ("b", "c")]
    try:
        recorders = [Recorder(), Recorder()]
        dispatchers = [r.dispatcher({"pupil": rec}) for r, rec in zip(replicas, recorders,
                                                                       strict=True)]
        for _ in range(4):
            await asyncio.gather(*(d.deliver_due() for d in dispatchers))
        sent: list[Any] = [p["checkin"] for rec in recorders for p in rec.checkins()]
        assert sorted(sent) == sorted(set(sent)) and len(sent) == len(pupils)
    finally:
        for replica in replicas:
            await replica.close()


async def test_without_an_outbox_channel_the_check_in_waits_for_the_next_visit(app: App) -> None:
    checkins = app.service.checkins
    assert checkins is not None
    checkins.clock = lambda: local(days_ago(1), 15, 0)
    pupil = Pupil(app, "4108", channel="console")
    await make_plan(pupil)
    await pupil.press("Ja, over een week")
    [row] = await checkin_rows(app, pupil.pupil_id)
    assert row.outbox_id is None
    await pupil.send("hallo")  # a visit before it is due: nothing
    assert app.content.text("checkin_hello") not in pupil.texts
    checkins.clock = lambda: local(days_ago(-7), 15, 0)
    await pupil.send("hallo")  # after the due time: shown once
    assert pupil.texts.count(app.content.text("checkin_hello")) == 1
    await pupil.send("hallo")
    assert app.content.text("checkin_hello") not in pupil.texts
    assert [r.status for r in await checkin_rows(app, pupil.pupil_id)] == ["sent"]


async def test_a_plan_step_with_a_day_gets_its_check_in_the_day_after(app: App) -> None:
    checkins = app.service.checkins
    assert checkins is not None
    wednesday = local(date(2026, 3, 4), 16, 30)
    checkins.clock = lambda: wednesday
    pupil = Pupil(app, "4109")
    await pupil.send("/mijnplan")
    for text in ("mijn jaar afmaken", "naar de open dag van de hogeschool", "mijn mama",
                 "zaterdag"):
        await pupil.send(text)
    await pupil.press("Nee, alleen ik")
    await pupil.press("De dag na mijn stap")
    assert app.content.text("checkin_planned") in pupil.texts
    [row] = await checkin_rows(app, pupil.pupil_id)
    due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=UTC)
    assert due == local(date(2026, 3, 8), 16, 30)  # Sunday, the day after the step
    # the check-in talk asks about that step
    await pupil.send(button="!flow:checkin")
    await pupil.press("Gaat wel")
    assert any("naar de open dag van de hogeschool" in t for t in pupil.texts)
