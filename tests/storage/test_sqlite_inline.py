"""SQLite on the event loop's thread (bot/infra/sqlite_inline.py).

A Store on a SQLite file runs its statements at once, in the loop's thread. Waiting for a write
lock that another process holds must not stop the loop: other pupils are served meanwhile, the
transaction goes on once the lock is free, and after the busy time it fails as before.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from bot.infra import sqlite_inline
from bot.infra.sql import Pupil, Store


async def _store(tmp_path: Path) -> Store:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await store.migrate()
    return store


def _other_process_writes(path: Path) -> sqlite3.Connection:
    """A second connection, as `wegwijs purge` in another process, holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_a_file_store_runs_on_the_loops_thread_and_keeps_its_rows(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    try:
        async with store.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
        async with store.transaction() as session:
            session.add(Pupil(id="p1", channel="telegram", state=None, address=b"x"))
        async with store.transaction() as session:
            assert await session.scalar(select(Pupil.channel).where(Pupil.id == "p1")) \
                == "telegram"
    finally:
        await store.close()


async def test_waiting_for_another_process_lock_leaves_the_loop_free(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    other = _other_process_writes(tmp_path / "w.db")
    ticks = 0

    async def meanwhile() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def release_later() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    ticker = asyncio.create_task(meanwhile())
    releaser = asyncio.create_task(release_later())
    try:
        async with store.transaction() as session:
            session.add(Pupil(id="p2", channel="web", state=None, address=b"y"))
        assert releaser.done()  # the transaction only went on after the lock was free
        assert ticks >= 10  # the loop ran other work while it waited
    finally:
        ticker.cancel()
        other.close()
        await store.close()


async def test_a_lock_held_past_the_busy_time_fails_the_transaction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_SECONDS", 0.2)
    store = await _store(tmp_path)
    other = _other_process_writes(tmp_path / "w.db")
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with store.transaction() as session:
                session.add(Pupil(id="p3", channel="web", state=None, address=b"z"))
        other.execute("ROLLBACK")
        async with store.transaction() as session:  # the store works again afterwards
            assert await session.scalar(select(Pupil.id).where(Pupil.id == "p3")) is None
    finally:
        other.close()
        await store.close()


async def _autocheckpoint(store: Store) -> int:
    async with store.transaction() as session:
        return int(await session.scalar(text("PRAGMA wal_autocheckpoint")))


async def test_the_log_is_checkpointed_in_the_background_not_in_a_pupils_commit(
        tmp_path: Path) -> None:
    store = await _store(tmp_path)
    stop = asyncio.Event()
    assert await _autocheckpoint(store) == 1000  # SQLite's own, before the chore runs
    chore = asyncio.create_task(store.keep_wal_small(stop, interval=0.05))
    try:
        await asyncio.sleep(0)
        assert await _autocheckpoint(store) == 0  # no commit copies the log meanwhile
        for number in range(40):
            async with store.transaction() as session:
                session.add(Pupil(id=f"w{number}", channel="web", state=b"s" * 2000,
                                  address=b"a"))
        await asyncio.sleep(0.3)  # a few rounds of the chore
        async with store.transaction() as session:  # after a whole checkpoint: a fresh log
            session.add(Pupil(id="last", channel="web", state=b"s", address=b"a"))
        with sqlite3.connect(tmp_path / "w.db") as check:
            busy, frames, _ = check.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        # the 40 transactions wrote about 80 pages; only the last one's are in the log
        assert busy == 0 and 0 < frames < 10
    finally:
        stop.set()
        await chore
    assert await _autocheckpoint(store) == 1000  # without the chore, SQLite checkpoints again
    await store.close()
