"""The persistent outbox: stored in the same transaction as the state, delivered afterwards.

Every message that leaves the bot for Telegram or e-mail goes through here: it is stored
before sending, retried with backoff until delivered, kept in order per destination, and one
failing destination never blocks the others. Several replicas can share one outbox: an entry
is leased before it is sent.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, event, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DeliveryRejected, RetryLater
from bot.infra.crypto import Cipher
from bot.infra.sql import OutboxEntry, Store, utcnow

log = logging.getLogger(__name__)

URGENT = 0
NORMAL = 5
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 40
MAX_BACKOFF = 300.0
BATCH = 20


class Sender(Protocol):
    """Delivers one payload to one destination; raises RetryLater or DeliveryRejected.

    It may return facts about the delivery (e.g. {"message_id": 42}) for the `on_sent` hook.
    """

    async def send(
        self, destination: str, payload: Mapping[str, Any]
    ) -> Mapping[str, Any] | None: ...


class Joining(Protocol):
    """A Sender that can deliver several queued payloads of one destination as one message."""

    async def joined(
        self, destination: str, payloads: list[Mapping[str, Any]]
    ) -> Mapping[str, Any] | None:
        """The one payload that delivers all of `payloads`, or None when they must stay apart."""
        ...


OnSent = Callable[[AsyncSession, Mapping[str, Any], Mapping[str, Any]], Awaitable[None]]


_OUTBOX = cast(Table, OutboxEntry.__table__)

# session.info key: this transaction queued entries that a dispatcher pass must claim
QUEUED = "outbox_queued"


def queued_for_a_pass(session: AsyncSession) -> bool:
    """True when the transaction queued entries that wait for the dispatcher's next pass (so
    it should be woken after the commit); entries leased by `lease_for_now` do not count."""
    return bool(session.info.get(QUEUED))


def enqueue(
    session: AsyncSession,
    cipher: Cipher,
    destination: str,
    payload: Mapping[str, Any],
    dedupe_key: str,
    priority: int = NORMAL,
    pupil_id: str | None = None,
    case_id: int | None = None,
) -> OutboxEntry:
    """Add a message to the outbox inside the caller's transaction."""
    entry = OutboxEntry(
        destination=destination,
        payload=cipher.seal(dict(payload)),
        priority=priority,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        dedupe_key=dedupe_key[:160],
        pupil_id=pupil_id,
        case_id=case_id,
    )
    session.add(entry)
    session.info[QUEUED] = True
    return entry


async def enqueue_many(
    session: AsyncSession,
    cipher: Cipher,
    destination: str,
    payloads: list[Mapping[str, Any]],
    dedupe_prefix: str,
    priority: int = NORMAL,
    pupil_id: str | None = None,
    leased_until: datetime | None = None,
) -> list[OutboxEntry]:
    """Add several messages for one destination in one statement, in this order.

    With `leased_until` (from `Dispatcher.lease_for_now`) the entries are leased from the start
    and returned, for `Dispatcher.send_after_commit`; otherwise nothing is returned.
    """
    if not payloads:
        return []
    now = utcnow()
    rows = [
        {
            "destination": destination,
            "payload": cipher.seal(dict(payload)),
            "priority": priority,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "dedupe_key": f"{dedupe_prefix}:{index}"[:160],
            "pupil_id": pupil_id,
            "created_at": now,
            "lease_until": leased_until,
        }
        for index, payload in enumerate(payloads)
    ]
    if leased_until is None:
        await session.execute(insert(_OUTBOX), rows)
        session.info[QUEUED] = True
        return []
    # Core with the new ids back (the ORM's bulk insert and loading cost more CPU); the
    # entries returned are detached copies, for the sender only
    ids = await session.scalars(
        insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True), rows
    )
    return [OutboxEntry(id=entry_id, **row) for entry_id, row in zip(ids, rows, strict=True)]


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next attempt: exponential with jitter, at least retry_after."""
    base = min(MAX_BACKOFF, 0.5 * 2 ** min(attempts, 10))
    jittered: float = base * random.uniform(0.8, 1.2)  # noqa: S311
    return max(retry_after or 0.0, jittered)


class _LostRace(Exception):
    """Another replica leased some of the entries this pass wanted."""


class Dispatcher:
    """Delivers due outbox entries through the sender registered for their destination kind."""

    def __init__(
        self,
        store: Store,
        cipher: Cipher,
        senders: Mapping[str, Sender],
        on_sent: OnSent | None = None,
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.senders = dict(senders)
        self.on_sent = on_sent
        # when an entry is due (tests set it to deliver a check-in planned for next week)
        self.clock: Callable[[], datetime] = utcnow
        self._wake = asyncio.Event()
        self._running = False  # only a running dispatcher takes entries straight from a commit
        self._fresh: set[asyncio.Task[None]] = set()
        self._behind: set[str] = set()  # destinations with a turn queued behind a fresh one

    def wake(self) -> None:
        """Ask the dispatcher to look for new entries now."""
        self._wake.set()

    async def lease_for_now(self, session: AsyncSession, destination: str) -> datetime | None:
        """In the transaction that queues a turn for `destination`: a lease for its entries, so
        that this process sends them right after the commit (no claiming pass, no wait), or
        None when they must take the normal way.

        Only while this dispatcher runs, and only when nothing of the destination is pending:
        an older entry (in back-off, or being sent) keeps its place in front (order per
        destination). When the process dies first, the lease runs out and any replica's normal
        pass delivers the entries: nothing is lost.
        """
        if not self._running:
            return None
        waiting = await session.scalar(
            select(OutboxEntry.id)
            .where(OutboxEntry.destination == destination, OutboxEntry.status == "pending")
            .limit(1)
        )
        if waiting is not None:
            self._behind.add(destination)
            return None
        return self.clock() + LEASE

    def send_after_commit(self, session: AsyncSession, entries: list[OutboxEntry]) -> None:
        """Deliver `entries` (leased by `lease_for_now`) once `session` commits; on a rollback
        they never existed."""
        if not entries:
            return

        def committed(_: object) -> None:
            task = asyncio.get_running_loop().create_task(self._deliver_fresh(entries))
            self._fresh.add(task)
            task.add_done_callback(self._fresh.discard)

        event.listen(session.sync_session, "after_commit", committed, once=True)

    async def _deliver_fresh(self, entries: list[OutboxEntry]) -> None:
        try:
            await self._deliver_batch(entries)
        except Exception as exc:  # the lease runs out and a normal pass tries again
            log.warning("outbox delivery after commit failed: %s", type(exc).__name__)
        destination = entries[0].destination
        if destination in self._behind:  # a later turn waits for these: a pass sends it now
            self._behind.discard(destination)
            self.wake()

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver until `stop` is set."""
        self._running = True
        try:
            await self._run_passes(stop, idle)
        finally:
            self._running = False
            await asyncio.gather(*self._fresh, return_exceptions=True)

    async def _run_passes(self, stop: asyncio.Event, idle: float) -> None:
        while not stop.is_set():
            # clear before the pass, not after it: a wake() that arrives
            # during the pass (a commit racing the claim) must not be lost (cost ~1 s latency).
            self._wake.clear()
            try:
                delivered = await self.deliver_due()
            except Exception as exc:  # the loop must survive a database hiccup
                log.warning("outbox pass failed: %s", type(exc).__name__)
                delivered = 0
            if delivered:
                continue
            waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
            _, pending = await asyncio.wait(
                waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()

    async def deliver_due(self) -> int:
        """One pass: per destination, send its due entries in order. Returns how many were sent."""
        batches = await self._claim_batches()
        if not batches:
            return 0
        results = await asyncio.gather(*(self._deliver_batch(batch) for batch in batches))
        return sum(results)

    async def _claim_batches(self) -> list[list[OutboxEntry]]:
        """Lease the leading due entries of every destination, urgent destinations first.

        All or nothing: when another replica leased some of them first, this pass leases none
        (a partial lease would hold the others back until it expired)."""
        try:
            return await self._try_claim_batches()
        except _LostRace:
            return []  # the transaction rolled back: let the next pass sort it out

    async def _try_claim_batches(self) -> list[list[OutboxEntry]]:
        now = self.clock()
        async with self.store.transaction() as session:
            rows = (
                await session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.status == "pending")
                    .order_by(OutboxEntry.id)
                    .limit(1000)
                )
            ).all()
            queues: dict[str, list[OutboxEntry]] = {}
            blocked: set[str] = set()
            for entry in rows:
                if entry.destination in blocked:
                    continue
                ready = _aware(entry.next_attempt_at) <= now and (
                    entry.lease_until is None or _aware(entry.lease_until) < now
                )
                queue = queues.setdefault(entry.destination, [])
                if not ready or len(queue) >= BATCH:
                    blocked.add(entry.destination)  # order per destination: never skip ahead
                    continue
                queue.append(entry)
            batches = sorted(
                (q for q in queues.values() if q),
                key=lambda q: (min(e.priority for e in q), q[0].id),
            )
            ids = [e.id for q in batches for e in q]
            if not ids:
                return []
            result = await session.execute(
                update(OutboxEntry)
                .where(
                    OutboxEntry.id.in_(ids),
                    OutboxEntry.status == "pending",
                    or_(OutboxEntry.lease_until.is_(None), OutboxEntry.lease_until < now),
                )
                .values(lease_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", len(ids)) != len(ids):
                raise _LostRace  # another replica leased some of them: roll back ours too
            return batches

    async def _deliver_batch(self, batch: list[OutboxEntry]) -> int:
        """Send one destination's entries in order; stop at the first that is not delivered.

        When the destination's sender can join payloads (`Joining`), a run of consecutive
        entries it accepts goes out as one message (a turn's short bubbles as one).
        """
        sent = 0
        index = 0
        while index < len(batch):
            run = await self._run(batch, index)
            if not await self._deliver(run):
                await self._release(batch[index + len(run.entries) :])
                break
            sent += len(run.entries)
            index += len(run.entries)
        return sent

    async def _run(self, batch: list[OutboxEntry], start: int) -> _Run:
        """The longest run of entries from `start` that the sender joins (at least one), with
        their payloads, each opened once, and the one payload that delivers them all."""
        first = batch[start]
        sender = self.senders.get(first.destination.split(":", 1)[0])
        joined = getattr(sender, "joined", None)
        opened = self.cipher.open(first.payload)
        run = _Run([first], [opened], opened)
        if joined is None:
            return run
        for entry in batch[start + 1 :]:
            payload = self.cipher.open(entry.payload)
            together = await joined(entry.destination, [*run.payloads, payload])
            if together is None:
                break
            run.entries.append(entry)
            run.payloads.append(payload)
            run.payload = together
        return run

    async def _release(self, entries: list[OutboxEntry]) -> None:
        if not entries:
            return
        async with self.store.transaction() as session:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_([e.id for e in entries]))
                .values(lease_until=None)
                .execution_options(synchronize_session=False)
            )

    async def _deliver(self, run: _Run) -> int:
        """Deliver a run of entries (one, or several the sender joins) and record the outcome."""
        entries = run.entries
        first = entries[0]
        kind = first.destination.split(":", 1)[0]
        sender = self.senders.get(kind)
        ids = [e.id for e in entries]
        # (values, the entries they are written to): one statement per distinct outcome
        updates: list[tuple[dict[str, Any], list[int]]]
        result: Mapping[str, Any] | None = None
        delivered = False
        try:
            if sender is None:
                raise RetryLater(f"no sender for '{kind}'", 30.0)
            result = await sender.send(first.destination, run.payload)
        except RetryLater as exc:
            updates = []
            for entry in entries:
                attempts = entry.attempts + 1
                failed = attempts >= MAX_ATTEMPTS
                updates.append(({
                    "attempts": attempts,
                    "lease_until": None,
                    "last_error": str(exc)[:200],
                    "status": "failed" if failed else "pending",
                    "next_attempt_at": utcnow()
                    + timedelta(seconds=backoff(attempts, exc.retry_after)),
                }, [entry.id]))
            log.warning(
                "outbox entry %s to %s: retry %s (%s)",
                first.id,
                kind,
                first.attempts + 1,
                "gave up" if first.attempts + 1 >= MAX_ATTEMPTS else "later",
            )
        except DeliveryRejected as exc:
            updates = [({"status": "failed", "lease_until": None,
                         "last_error": str(exc)[:200]}, ids)]
            log.warning("outbox entry %s to %s rejected", first.id, kind)
        else:
            delivered = True
            updates = [({"status": "sent", "sent_at": utcnow(), "lease_until": None,
                         "payload": b""}, ids)]
        async with self.store.transaction() as session:
            for values, where in updates:
                await session.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.id.in_(where))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            if delivered and self.on_sent is not None:
                for payload in run.payloads:
                    await self.on_sent(session, payload, result or {})
        return 1 if delivered else 0


@dataclass
class _Run:
    """Consecutive entries of one destination that go out as one message."""

    entries: list[OutboxEntry]
    payloads: list[Mapping[str, Any]]  # each entry's, opened
    payload: Mapping[str, Any]  # the one that delivers them all


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they are UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
