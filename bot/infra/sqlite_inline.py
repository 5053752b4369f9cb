"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

SQLAlchemy's aiosqlite dialect hands every step of a statement (open a cursor, execute, fetch,
close) to aiosqlite's worker thread and waits for it to come back: about four thread round
trips per statement, thirty for a pupil's turn. SQLite itself answers a statement on a small
indexed table in microseconds, so the round trips were most of the time of the turn.

`connect` gives SQLAlchemy (through `create_async_engine(async_creator=...)`) a connection with
aiosqlite's interface whose coroutines do their work at once, in this thread. What could block
the loop is waiting for another connection's write lock: this connection's busy timeout is 0,
and a statement that finds the database locked is tried again after a short asyncio sleep, for
up to `BUSY_SECONDS`, instead of sleeping inside SQLite. Every transaction takes the write lock
at its BEGIN (see sql.py), and in WAL mode a connection that holds it is never kept waiting,
so in practice only a BEGIN waits, and it waits without blocking other pupils.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

# as long as the former busy timeout (PRAGMA busy_timeout=5000)
BUSY_SECONDS = 5.0
_FIRST_PAUSE = 0.001
_LONGEST_PAUSE = 0.05
T = TypeVar("T")


def _busy(error: sqlite3.OperationalError) -> bool:
    return error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


async def _patiently(work: Callable[[], T]) -> T:
    """Run `work` now; while the database is locked by another connection, try again later."""
    deadline = time.monotonic() + BUSY_SECONDS
    pause = _FIRST_PAUSE
    while True:
        try:
            return work()
        except sqlite3.OperationalError as error:
            if not _busy(error) or time.monotonic() + pause > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, _LONGEST_PAUSE)


class InlineCursor:
    """aiosqlite's Cursor interface over a sqlite3 cursor."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await _patiently(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        rows = list(parameters)  # a generator could not be run twice after a busy try
        await _patiently(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    def setoutputsize(self, *_args: Any) -> None:
        return None


class InlineConnection:
    """aiosqlite's Connection interface over a sqlite3 connection used on this thread.

    The connection is opened in autocommit mode (isolation_level None, as sql.py wants it), so
    the dialect's isolation-level setter, which would reach into aiosqlite's worker queue, is
    never needed."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = connection

    @property
    def _connection(self) -> sqlite3.Connection | None:
        # the dialect checks it before a commit or rollback (None: closed)
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._open().cursor())

    async def commit(self) -> None:
        connection = self._open()
        await _patiently(connection.commit)

    async def rollback(self) -> None:
        self._open().rollback()

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def stop(self) -> None:
        """Force-close (the dialect's terminate)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)


async def connect(database: str) -> InlineConnection:
    """Open `database` for the loop's thread, with no busy timeout of SQLite's own."""
    connection = sqlite3.connect(
        database, timeout=0, isolation_level=None, check_same_thread=False
    )
    return InlineConnection(connection)
