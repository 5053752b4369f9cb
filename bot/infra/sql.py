"""SQLAlchemy 2 tables and the store: SQLite by default, PostgreSQL for several replicas."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

from bot.errors import StoreError
from bot.infra import sqlite_inline

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The newest migration (tests/storage/test_migrations.py checks it is Alembic's head): a database
# already there is not migrated, and Alembic (about 10 MiB of modules) is not even imported.
SCHEMA_HEAD = "0005_checkins"


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of all tables."""


class Pupil(Base):
    """One pupil: pseudonymous id, encrypted conversation state and channel address."""

    __tablename__ = "pupils"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[bytes | None] = mapped_column(LargeBinary)
    network: Mapped[str | None] = mapped_column(String(32))
    counsellor_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class ProcessedUpdate(Base):
    """Channel updates already handled, so a duplicate delivery is handled once."""

    __tablename__ = "processed_updates"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    pupil_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class TranscriptLine(Base):
    """One message of the conversation, encrypted; shared only with the pupil's consent."""

    __tablename__ = "transcript"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pupil_id: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class Case(Base):
    """A request for a human counsellor."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pupil_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    network: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    consent: Mapped[str] = mapped_column(String(16), default="none")
    summary: Mapped[bytes | None] = mapped_column(LargeBinary)
    destination: Mapped[str | None] = mapped_column(String(128))
    thread_ref: Mapped[str | None] = mapped_column(String(64))
    counsellor_id: Mapped[str | None] = mapped_column(String(64))
    counsellor_name: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxEntry(Base):
    """A message waiting to be delivered; stored before sending, retried until delivered."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    destination: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    priority: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    pupil_id: Mapped[str | None] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what to which case, and when. Never pupil text."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[str | None] = mapped_column(String(200))


class WebSession(Base):
    """A web chat session: only a keyed hash of the browser's random token is stored."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    pupil_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class WebMessage(Base):
    """One line of a web pupil's conversation as the browser shows it, encrypted.

    The id orders the lines: a browser asks for the lines after the last id it shows.
    """

    __tablename__ = "web_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pupil_id: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    ref: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


def database_url(url: str | None, data_dir: Path) -> str:
    """The async SQLAlchemy URL: DATABASE_URL when set, else SQLite in the data dir."""
    if not url:
        return f"sqlite+aiosqlite:///{data_dir / 'wegwijs.db'}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


class Store:
    """Owns the database engine; hands out transactions; serialises work per pupil."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, object] = {"pool_pre_ping": not self.is_sqlite}
        kwargs["hide_parameters"] = True  # no row values in errors or logs
        if url.startswith("postgresql+asyncpg"):  # fail fast when PG is down
            kwargs["connect_args"] = {"timeout": 5}
        database = _sqlite_file(url)
        self._inline_file = database
        if database is not None:  # SQLite on the loop's thread (sqlite_inline.py)
            kwargs["async_creator"] = functools.partial(sqlite_inline.connect, database)
        # set while `keep_wal_small` runs: it checkpoints, the connections do not
        self._checkpointing = False
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            # every SQLite transaction takes the write lock at its start, so
            # two processes on one file (bot + `wegwijs purge`, a second chat) serialise instead
            # of writing over each other's reads; DDL becomes transactional too.
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)
            event.listen(self.engine.sync_engine, "checkout", self._checkpoint_setting)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._locks: dict[str, asyncio.Lock] = {}
        self._write = asyncio.Lock()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)})"

    async def migrate(self) -> None:
        """Bring the schema to the newest version (Alembic), once across replicas."""
        try:
            async with self.engine.begin() as conn:
                if not self.is_sqlite:
                    await conn.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
                await conn.run_sync(_upgrade)
        except (OperationalError, DBAPIError, OSError) as exc:
            raise StoreError(f"cannot migrate the database: {type(exc).__name__}") from exc

    @contextlib.asynccontextmanager
    async def pupil_transaction(self, pupil_id: str) -> AsyncIterator[AsyncSession]:
        """A transaction in which this pupil's rows are locked against other workers."""
        lock = self._locks.setdefault(pupil_id, asyncio.Lock())
        async with lock, self._writer(), self.sessions() as session, session.begin():
            if not self.is_sqlite:
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": pupil_id}
                )
            yield session
        if not lock.locked() and self._locks.get(pupil_id) is lock:
            self._locks.pop(pupil_id, None)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A plain transaction (serialised with other writers on SQLite)."""
        async with self._writer(), self.sessions() as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        if self.is_sqlite:
            async with self._write:
                yield
        else:
            yield

    async def keep_wal_small(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Checkpoint the write-ahead log in a worker thread every `interval` seconds, until
        `stop`, for a SQLite file on the loop's thread.

        SQLite otherwise checkpoints inside the commit that fills the log to 1,000 pages:
        copying them and two fsyncs took 3-6 ms, about once in 100 commits, and inline that
        stopped every pupil's turn meanwhile. A PASSIVE checkpoint waits for nobody: the
        connections keep writing to the log while it copies.
        """
        database = self._inline_file
        if database is None or database == ":memory:":
            return
        self._checkpointing = True
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                try:
                    await asyncio.to_thread(_checkpoint, database)
                except sqlite3.Error as exc:  # the next round tries again
                    log.warning("wal checkpoint failed: %s", type(exc).__name__)
        finally:
            self._checkpointing = False

    def _checkpoint_setting(
        self, dbapi_connection: object, record: ConnectionPoolEntry, _proxy: object
    ) -> None:
        """At checkout: a connection checkpoints itself only while `keep_wal_small` does not."""
        wanted = 0 if self._checkpointing else DEFAULT_AUTOCHECKPOINT
        if record.info.get("wal_autocheckpoint") != wanted:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute(
                "PRAGMA wal_autocheckpoint=0" if wanted == 0 else "PRAGMA wal_autocheckpoint=1000"
            )
            cursor.close()
            record.info["wal_autocheckpoint"] = wanted

    async def close(self) -> None:
        """Close all connections."""
        await self.engine.dispose()


def _sqlite_file(url: str) -> str | None:
    """The file of a plain `sqlite+aiosqlite` URL (no query options), else None."""
    parsed = make_url(url)
    if parsed.drivername != "sqlite+aiosqlite" or parsed.query or not parsed.database:
        return None
    return parsed.database


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    if dbapi_connection.isolation_level is not None:  # type: ignore[attr-defined]
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    inline = isinstance(
        getattr(dbapi_connection, "driver_connection", None), sqlite_inline.InlineConnection
    )
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # an inline connection waits for a lock in asyncio, not in SQLite (sqlite_inline.py)
    cursor.execute("PRAGMA busy_timeout=0" if inline else "PRAGMA busy_timeout=5000")
    cursor.close()


DEFAULT_AUTOCHECKPOINT = 1000  # SQLite's own default, in pages


def _checkpoint(database: str) -> None:
    """One PASSIVE checkpoint of the file's write-ahead log, on this (worker) thread."""
    connection = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        connection.close()


def _sqlite_begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE instead of the driver's deferred, late BEGIN."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade(connection: Connection) -> None:
    if _version(connection) == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _version(connection: Connection) -> str | None:
    """The schema version Alembic recorded in this database, if any."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return versions[0] if len(versions) == 1 else None
