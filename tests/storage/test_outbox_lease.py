"""Outbox leases across replicas: a pass that loses the race to another replica leases nothing.

A replica reads the due entries, then leases them in one UPDATE. When another replica leased
one of them in between, the UPDATE touches fewer rows than it read. It must then hold none of
them: a partial lease would keep the other entries back until the lease ran out (60 s), which
is how two webhook replicas once stalled a pupil's replies for a minute.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select, text, update
from sqlalchemy.orm import ORMExecuteState, Session

from bot.app import App
from bot.delivery.outbox import Dispatcher, enqueue
from bot.infra.sql import OutboxEntry, utcnow
from tests.handoff.support import RecordingSender

DESTINATION = "pupil:race"


async def test_a_pass_that_loses_the_lease_race_holds_no_entry(app: App) -> None:
    async with app.store.transaction() as session:
        for number in range(3):
            enqueue(session, app.cipher, DESTINATION, {"text": str(number)}, f"race:{number}")
    async with app.store.transaction() as session:
        ids = list((await session.scalars(select(OutboxEntry.id).order_by(OutboxEntry.id))).all())

    raced = {"done": False}

    def other_replica_leases_the_middle_one(state: ORMExecuteState) -> None:
        """Between this pass's read and its UPDATE, 'another replica' leases entry 2."""
        if raced["done"] or not state.is_update:
            return
        raced["done"] = True
        state.session.execute(
            text("UPDATE outbox SET lease_until = :until WHERE id = :id"),
            {"until": utcnow() + timedelta(seconds=60), "id": ids[1]},
        )

    sender = RecordingSender()
    dispatcher = Dispatcher(app.store, app.cipher, {"pupil": sender})
    listener: Any = other_replica_leases_the_middle_one
    event.listen(Session, "do_orm_execute", listener)
    try:
        assert await dispatcher.deliver_due() == 0  # lost the race: nothing sent this pass
    finally:
        event.remove(Session, "do_orm_execute", listener)
    assert raced["done"]

    async with app.store.transaction() as session:
        leases = (
            await session.scalars(select(OutboxEntry.lease_until).order_by(OutboxEntry.id))
        ).all()
    assert leases == [None, None, None]  # the race and this pass's own leases rolled back

    async with app.store.transaction() as session:
        await session.execute(update(OutboxEntry).values(lease_until=None))
    assert await dispatcher.deliver_due() == 3  # the next pass sends all three, in order
    assert [d.payload["text"] for d in sender.sent] == ["0", "1", "2"]
