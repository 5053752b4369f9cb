"""Reliability guards around the pipeline: per-pupil flood control and database retries.

Flood control never drops a message: a pupil over the limit still gets every message
processed; the first reply after crossing the limit carries the friendly `slow_down` text
once per burst. Database retries cover a short outage (a PostgreSQL restart, a locked SQLite
file); when the database stays down the caller gets `StoreUnavailable` and must keep the
message (Telegram: do not acknowledge the update, so it is delivered again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from bot.errors import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_DELAYS: tuple[float, ...] = (0.1, 0.3, 0.8, 1.5)
PATIENCE = 120.0


class StoreUnavailable(StoreError):
    """The database stayed unreachable after a few quick retries; the message was not handled."""


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    warned: bool = False


@dataclass
class FloodGuard:
    """A token bucket per pupil: `burst` messages at once, then one per `1 / rate` seconds."""

    burst: int = 8
    rate: float = 0.5
    # Chat channels only: the JSONL console is a machine protocol (tests, evaluations) that
    # sends as fast as it can and expects the same replies whatever the speed.
    channels: frozenset[str] = frozenset({"telegram"})
    clock: Callable[[], float] = time.monotonic
    max_pupils: int = 50_000
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def hit(self, key: str) -> bool:
        """Count one message; True when the slow-down text should be added (once per burst)."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._prune(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            if bucket.tokens >= self.burst / 2:
                bucket.warned = False
            return False
        if bucket.warned:
            return False
        bucket.warned = True
        return True

    def _prune(self, now: float) -> None:
        """Forget pupils whose bucket is full again, when too many are tracked."""
        if len(self._buckets) < self.max_pupils:
            return
        refill = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.stamp >= refill]:
            del self._buckets[key]
        while len(self._buckets) >= self.max_pupils:
            del self._buckets[next(iter(self._buckets))]


def is_transient(exc: BaseException) -> bool:
    """True for errors that mean 'the database is briefly unreachable', not 'the data is wrong'."""
    if isinstance(exc, IntegrityError):
        return False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    try:
        import asyncpg  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    transient = (
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,
        asyncpg.CannotConnectNowError,
        asyncpg.AdminShutdownError,
    )
    return (
        isinstance(exc, transient)
        or isinstance(getattr(exc, "orig", None), transient)
        or isinstance(exc.__cause__, transient)
    )


async def retry_transient(
    operation: Callable[[], Awaitable[T]],
    delays: Sequence[float] = RETRY_DELAYS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run a whole transaction; rerun it after a transient database error, then give up."""
    for delay in (*delays, None):
        try:
            return await operation()
        except Exception as exc:
            if not is_transient(exc):
                raise
            if delay is None:
                log.warning(
                    "database unavailable after %s retries: %s", len(delays), type(exc).__name__
                )
                raise StoreUnavailable("the database is unavailable; try again later") from exc
            log.warning("database unavailable (%s); retry in %.1fs", type(exc).__name__, delay)
            await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


async def wait_for_store(
    operation: Callable[[], Awaitable[T]],
    on_wait: Callable[[], Awaitable[None]] | None = None,
    patience: float = PATIENCE,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> tuple[T | None, bool]:
    """For channels: keep a message while the database is down and try again.

    Runs `operation` (e.g. `service.handle(inbound)`); on StoreUnavailable calls `on_wait` once
    (send the busy_retry text) and retries with backoff for up to `patience` seconds.
    Returns (result, waited); result is None when the database stayed down that long.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    delay = 0.5
    waited = False
    while True:
        try:
            return await operation(), waited
        except StoreUnavailable:
            if loop.time() + delay > deadline:
                return None, True
            if not waited and on_wait is not None:
                await on_wait()
            waited = True
            await sleep(delay)
            delay = min(delay * 2, 5.0)
