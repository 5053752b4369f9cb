"""Composition root: builds the store, clients and services from the settings."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.sender import CheckinSender
from bot.checkins.service import Checkins
from bot.content import load_content
from bot.conversation.guard import FloodGuard
from bot.conversation.service import ConversationService
from bot.delivery import retention
from bot.delivery.outbox import Dispatcher, Sender
from bot.delivery.quiet_hours import QuietHours
from bot.errors import ContentError
from bot.flows.model import Content
from bot.flows.nlu import NluClient
from bot.flows.problems import Problem
from bot.handoff.routing import load_routing
from bot.handoff.service import HandoffService, Routing
from bot.infra.crypto import Cipher
from bot.infra.rasa import RasaNluClient
from bot.infra.smtp import SmtpSender
from bot.infra.sql import Store, database_url
from bot.settings import Settings

log = logging.getLogger(__name__)
# Pupil channels whose replies go through the outbox (`pupil:<id>`) and get flood control.
PUPIL_CHANNELS = frozenset({"telegram", "web"})


@dataclass
class App:
    """Everything a channel needs, built once."""

    settings: Settings
    content: Content
    store: Store
    cipher: Cipher
    service: ConversationService
    handoff: HandoffService
    nlu: NluClient | None
    reload_requested: bool = False
    delivering: Dispatcher | None = None  # the dispatcher `dispatcher()` built last

    def dispatcher(self, senders: dict[str, Sender]) -> Dispatcher:
        """An outbox dispatcher that wakes when the service commits."""
        # counsellor threads (tg wrapper, e-mail sender, on_sent hook)
        wired = self.handoff.senders(senders)
        smtp = self.handoff.routing.smtp
        if "email" not in wired and smtp is not None:
            wired["email"] = SmtpSender(smtp)
        if "pupil" in wired and "checkin" not in wired:  # check-ins reach the pupil's chat
            wired["checkin"] = CheckinSender(wired["pupil"])
        dispatcher = Dispatcher(self.store, self.cipher, wired, on_sent=self._on_sent)
        self.service.on_commit = dispatcher.wake
        self.service.lane = dispatcher
        self.delivering = dispatcher
        self.handoff.on_commit = dispatcher.wake
        return dispatcher

    @asynccontextmanager
    async def running(
        self, senders: dict[str, Sender],
        reloaded: Callable[[Content], Awaitable[None]] | None = None,
    ) -> AsyncIterator[None]:
        """The outbox dispatcher and the chores (reminders, retention, reload on SIGHUP) run
        inside the block; on leaving it the reloads stop, the outbox makes its last pass and
        the chores end. Every channel's `serve` delivers through this one function.
        """
        dispatcher = self.dispatcher(senders)
        delivering = asyncio.Event()
        delivery = asyncio.create_task(dispatcher.run(delivering), name="outbox")
        chores = [
            asyncio.create_task(self.handoff.run_reminders(delivering), name="reminders"),
            asyncio.create_task(
                retention.run_daily(self.store, self.settings.retention_days, delivering,
                                    self.handoff),
                name="retention",
            ),
        ]
        chores.append(asyncio.create_task(self.store.keep_wal_small(delivering), name="wal"))
        # in the background: a Rasa still starting must not hold the channel back
        chores.append(asyncio.create_task(self.service.warm_up(), name="warm-up"))
        reloading = asyncio.create_task(self.reload_on_hangup(reloaded), name="reload")
        try:
            yield
        finally:
            reloading.cancel()
            delivering.set()
            await delivery
            await asyncio.gather(*chores, reloading, return_exceptions=True)

    async def _on_sent(
        self, session: AsyncSession, payload: Mapping[str, Any], result: Mapping[str, Any]
    ) -> None:
        await self.handoff.on_sent(session, payload, result)
        if self.service.checkins is not None:
            await self.service.checkins.on_sent(session, payload, result)

    def use(self, content: Content) -> None:
        """Serve this content from now on: the one place that swaps it, for every service."""
        self.content = self.service.content = self.handoff.content = content
        if self.service.checkins is not None:
            self.service.checkins.content = content

    def reload(self) -> bool:
        """Load and check content/ again; swap it in only when it has no errors."""
        return self._take(*load_content(self.settings.content_dir, cache_dir(self.settings)))

    async def reload_in_background(self) -> bool:
        """`reload` with the reading and checking in a thread, so the channel keeps serving."""
        return self._take(
            *await asyncio.to_thread(
                load_content, self.settings.content_dir, cache_dir(self.settings)
            )
        )

    def request_reload(self, *_: object) -> None:
        """Ask for a reload before the next message (safe inside a signal handler)."""
        self.reload_requested = True

    def reload_if_requested(self) -> None:
        """Reload when asked to since the last message."""
        if self.reload_requested:
            self.reload_requested = False
            self.reload()

    async def reload_on_hangup(
        self, reloaded: Callable[[Content], Awaitable[None]] | None = None
    ) -> None:
        """Reload the content on every SIGHUP until cancelled.

        `reloaded` runs after each successful reload (Telegram sets its command menu again).
        """
        hangup = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, hangup.set)
        try:
            while True:
                await hangup.wait()
                hangup.clear()
                if not await self.reload_in_background():
                    continue
                settle_memory()
                if reloaded is not None:
                    await reloaded(self.content)
        finally:
            loop.remove_signal_handler(signal.SIGHUP)

    def _take(self, content: Content | None, problems: list[Problem]) -> bool:
        # The problems are about content files (file, line, what to fix): never pupil text.
        if content is None:
            for problem in problems:
                if problem.severity == "error":
                    log.error("content reload: %s", problem.render())
            log.error("content reload refused: %d error(s); the previous content stays in use",
                      sum(p.severity == "error" for p in problems))
            return False
        _warn(problems)
        self.use(content)
        log.warning("content reloaded from %s (%d warning(s))", self.settings.content_dir,
                    len(problems))
        return True

    async def close(self) -> None:
        """Release connections."""
        close = getattr(self.nlu, "aclose", None)
        if close is not None:
            await close()
        await self.store.close()


def settle_memory() -> None:
    """Collect, then keep what exists now (the content, the libraries) out of later collections.

    The loaded content is about 140,000 objects: without this, every full collection walks
    them all (about 40 ms, a pause every pupil waiting at that moment would feel). What an
    earlier call kept (content replaced by a reload) is collected again first.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def cache_dir(settings: Settings) -> Path:
    """Where things derived from content (the safety model) are kept between runs."""
    return settings.data_dir / "cache"


def content_or_fail(content_dir: Path, cache: Path | None = None) -> Content:
    """Load the content; refuse to start with the full report when it is invalid."""
    content, problems = load_content(content_dir, cache)
    if content is None:
        raise ContentError(problems)
    _warn(problems)
    return content


def _warn(problems: list[Problem]) -> None:
    for problem in problems:  # warnings do not stop the bot, but its operator should see them
        log.warning("content %s", problem.render())


def routing(settings: Settings) -> Routing:
    """Counsellor destinations: per network from the config file, default from the env."""
    # the whole config file (e-mail, allow-list, timing, smtp) is read there
    return load_routing(
        settings.networks_config, settings.counsellor_chat_id, env=settings.environment
    )


def nlu_client(settings: Settings) -> NluClient | None:
    """The Rasa client when RASA_URL is set; None means keyword-only (degraded) mode."""
    if not settings.rasa_url:
        return None
    return RasaNluClient(
        settings.rasa_url,
        settings.rasa_token.reveal() or None,
        timeout=settings.nlu_timeout,
    )


async def build(settings: Settings, content: Content | None = None) -> App:
    """Build the application: content, database (migrated), NLU client and services.

    `content` is loaded from `settings.content_dir` unless given (tests load it once).
    """
    if content is None:
        content = content_or_fail(settings.content_dir, cache_dir(settings))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cipher = Cipher(settings.ensure_secret_key().reveal())
    store = Store(database_url(settings.database_url, settings.data_dir))
    await store.migrate()
    handoff = HandoffService(content, cipher, routing(settings), store, PUPIL_CHANNELS)
    nlu = nlu_client(settings)
    service = ConversationService(content, store, cipher, handoff, nlu, PUPIL_CHANNELS,
                                  guard=FloodGuard(channels=PUPIL_CHANNELS))
    service.checkins = Checkins(
        content, cipher, QuietHours(*settings.quiet_hours), settings.checkins_max
    )
    return App(settings, content, store, cipher, service, handoff, nlu)
