"""A turn's replies go out straight after the commit, without waiting for a dispatcher pass.

While the dispatcher runs, the service leases a turn's entries in the transaction that queues
them (`Dispatcher.lease_for_now`) and the dispatcher sends them once that transaction commits.
The outbox's promises stay: order per destination (an older pending entry keeps its place in
front), nothing sent for a rolled-back transaction, and nothing lost when the process dies
between commit and send (the lease runs out and a normal pass delivers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.conversation.service import Inbound
from bot.delivery.outbox import Dispatcher, enqueue, enqueue_many, queued_for_a_pass
from bot.infra.sql import OutboxEntry, utcnow
from tests.handoff.support import RecordingSender

DESTINATION = "pupil:lane"


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(250):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not delivered")


async def _statuses(app: App) -> list[tuple[str, bool]]:
    async with app.store.transaction() as session:
        rows = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all()
    return [(row.status, row.lease_until is not None) for row in rows]


async def test_a_turn_goes_out_after_its_commit_without_a_pass(app: App) -> None:
    sender = RecordingSender()
    dispatcher = Dispatcher(app.store, app.cipher, {"pupil": sender})
    dispatcher._running = True  # as inside run(), but no pass will ever look
    async with app.store.transaction() as session:
        lease = await dispatcher.lease_for_now(session, DESTINATION)
        assert lease is not None
        entries = await enqueue_many(session, app.cipher, DESTINATION,
                                     [{"kind": "message", "text": "Hoi"},
                                      {"kind": "message", "text": "Alles goed?"}],
                                     "turn", leased_until=lease)
        dispatcher.send_after_commit(session, entries)
        assert not queued_for_a_pass(session)  # nothing for a pass: no wake needed
        assert sender.sent == []  # not before the commit
    await _until(lambda: len(sender.sent) == 2)
    assert sender.texts(DESTINATION) == ["Hoi", "Alles goed?"]
    await asyncio.gather(*dispatcher._fresh)
    assert await _statuses(app) == [("sent", False), ("sent", False)]


async def test_a_rolled_back_turn_is_never_sent(app: App) -> None:
    sender = RecordingSender()
    dispatcher = Dispatcher(app.store, app.cipher, {"pupil": sender})
    dispatcher._running = True

    class Abort(Exception):
        pass

    try:
        async with app.store.transaction() as session:
            lease = await dispatcher.lease_for_now(session, DESTINATION)
            entries = await enqueue_many(session, app.cipher, DESTINATION,
                                         [{"kind": "message", "text": "Hoi"}], "turn",
                                         leased_until=lease)
            dispatcher.send_after_commit(session, entries)
            raise Abort
    except Abort:
        pass
    await asyncio.sleep(0.1)
    assert sender.sent == [] and dispatcher._fresh == set()
    assert await _statuses(app) == []


async def test_an_older_pending_entry_keeps_its_place_in_front(app: App) -> None:
    sender = RecordingSender()
    dispatcher = Dispatcher(app.store, app.cipher, {"pupil": sender})
    dispatcher._running = True
    async with app.store.transaction() as session:  # an earlier reply, in back-off
        entry = enqueue(session, app.cipher, DESTINATION, {"kind": "message", "text": "Eerst"},
                        "older")
        entry.next_attempt_at = utcnow() + timedelta(seconds=30)
    async with app.store.transaction() as session:
        assert await dispatcher.lease_for_now(session, DESTINATION) is None
        entries = await enqueue_many(session, app.cipher, DESTINATION,
                                     [{"kind": "message", "text": "Daarna"}], "turn")
        assert entries == [] and queued_for_a_pass(session)
    dispatcher.clock = lambda: utcnow() + timedelta(seconds=31)
    assert await dispatcher.deliver_due() == 2
    assert sender.texts(DESTINATION) == ["Eerst", "Daarna"]


async def test_a_lease_left_by_a_dead_process_runs_out_and_a_pass_delivers(app: App) -> None:
    dead = Dispatcher(app.store, app.cipher, {"pupil": RecordingSender()})
    dead._running = True
    async with app.store.transaction() as session:
        lease = await dead.lease_for_now(session, DESTINATION)
        await enqueue_many(session, app.cipher, DESTINATION,
                           [{"kind": "message", "text": "Hoi"}], "turn", leased_until=lease)
        # the process dies here: send_after_commit never ran
    sender = RecordingSender()
    replica = Dispatcher(app.store, app.cipher, {"pupil": sender})
    assert await replica.deliver_due() == 0  # leased: not yet
    replica.clock = lambda: utcnow() + timedelta(seconds=61)
    assert await replica.deliver_due() == 1
    assert sender.texts(DESTINATION) == ["Hoi"]


async def test_a_stopped_dispatcher_leases_nothing(app: App) -> None:
    dispatcher = Dispatcher(app.store, app.cipher, {"pupil": RecordingSender()})
    async with app.store.transaction() as session:
        assert await dispatcher.lease_for_now(session, DESTINATION) is None


async def test_pupils_replies_go_out_through_the_running_app(app: App) -> None:
    """End to end in the service: two quick turns of one pupil arrive whole and in order."""
    sender = RecordingSender()
    async with app.running({"pupil": sender}):
        first = await app.service.handle(Inbound("telegram", "lane", "77", "1", text="/start"))
        second = await app.service.handle(Inbound("telegram", "lane", "77", "2", text="/help"))
        said = [m.text for m in (*first.messages, *second.messages)]
        await _until(lambda: len(sender.sent) == len(said))
    assert [d.text for d in sender.sent] == said
    async with app.store.transaction() as session:
        statuses = (await session.scalars(select(OutboxEntry.status))).all()
    assert set(statuses) == {"sent"}
