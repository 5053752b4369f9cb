"""Composition root: builds the store, clients and services from the settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.sql import Store, database_url
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.crypto import Cipher
from bot.core.nlu import NluClient
from bot.errors import ContentError
from bot.services.conversation import ConversationService
from bot.services.handoff import HandoffService, Routing
from bot.services.handoff_routing import load_routing
from bot.services.outbox import Dispatcher, Sender
from bot.settings import Settings

log = logging.getLogger(__name__)


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

    def dispatcher(self, senders: dict[str, Sender]) -> Dispatcher:
        """An outbox dispatcher that wakes when the service commits."""
        # handoff-engineer: counsellor threads (tg wrapper, e-mail sender, on_sent hook)
        dispatcher = Dispatcher(self.store, self.cipher, self.handoff.senders(senders),
                                on_sent=self.handoff.on_sent)
        self.service.on_commit = dispatcher.wake
        self.handoff.on_commit = dispatcher.wake
        return dispatcher

    async def close(self) -> None:
        """Release connections."""
        close = getattr(self.nlu, "aclose", None)
        if close is not None:
            await close()
        await self.store.close()


def content_or_fail(content_dir: Path) -> Content:
    """Load the content; refuse to start with the full report when it is invalid."""
    content, problems = load_content(content_dir)
    if content is None:
        raise ContentError(problems)
    return content


def routing(settings: Settings) -> Routing:
    """Counsellor destinations: per network from the config file, default from the env."""
    # handoff-engineer: the whole config file (e-mail, allow-list, timing, smtp) is read there
    return load_routing(settings.networks_config, settings.counsellor_chat_id)


def nlu_client(settings: Settings) -> NluClient | None:
    """The Rasa client when RASA_URL is set; None means keyword-only (degraded) mode."""
    if not settings.rasa_url:
        return None
    from bot.adapters.rasa import RasaNluClient

    return RasaNluClient(
        settings.rasa_url,
        settings.rasa_token.reveal() or None,
        timeout=settings.nlu_timeout,
    )


async def build(settings: Settings) -> App:
    """Build the application: content, database (migrated), NLU client and services."""
    content = content_or_fail(settings.content_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cipher = Cipher(settings.ensure_secret_key().reveal())
    store = Store(database_url(settings.database_url, settings.data_dir))
    await store.migrate()
    handoff = HandoffService(content, cipher, routing(settings), store)
    nlu = nlu_client(settings)
    service = ConversationService(content, store, cipher, handoff, nlu)
    return App(settings, content, store, cipher, service, handoff, nlu)
