"""One reader of the cases' version per process, shared by every open desk.

Each desk page keeps an event stream open; instead of each stream asking the database every
second, one task asks while at least one stream listens and wakes them all on a change. The
version is read from the database, so a change made by another replica is seen too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError

log = logging.getLogger(__name__)


class Pulse:
    """Reads a version every `every` seconds while someone waits; wakes the waiters on a change."""

    def __init__(self, read: Callable[[], Awaitable[str]], every: float) -> None:
        self.read = read
        self.every = every
        self.version: str | None = None
        self._changed = asyncio.Event()
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listeners = 0

    async def next(self, seen: str | None, within: float) -> str | None:
        """The version as soon as it differs from `seen`; None after `within` seconds or at stop."""
        self._listeners += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + within
            while not self._stopped.is_set():
                if self.version is not None and self.version != seen:
                    return self.version
                left = deadline - loop.time()
                if left <= 0:
                    return None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)
            return None
        finally:
            self._listeners -= 1

    async def stop(self) -> None:
        """Stop reading and release every waiter (server shutdown)."""
        self._stopped.set()
        self._changed.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while self._listeners > 0 and not self._stopped.is_set():
            version: str | None
            try:
                version = await self.read()
            except (SQLAlchemyError, StoreError, OSError) as exc:
                # the streams stay open; the pages catch up once the database answers again
                log.warning("desk: cannot read the cases' version: %s", type(exc).__name__)
                version = self.version
            if version != self.version:
                self.version = version
                woken, self._changed = self._changed, asyncio.Event()
                woken.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), self.every)
