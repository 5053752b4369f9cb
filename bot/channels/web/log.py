"""The web pupil's conversation log: what the browser shows, encrypted, ordered by id.

The outbox delivers `pupil:<id>` entries of web pupils by appending here (`WebSender`); the
WebSocket of that pupil, on whichever replica it lives, sends the lines after the last one the
browser shows. In this process a `Hub` wakes the socket at once; other replicas notice within
`POLL` seconds (a cheap indexed query), so nothing depends on one process's memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Sender
from bot.errors import DeliveryRejected, RetryLater
from bot.infra.crypto import Cipher
from bot.infra.sql import Pupil, Store, WebMessage

log = logging.getLogger(__name__)

CHANNEL = "web"
POLL = 2.0
PAGE = 100


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the conversation as the browser gets it."""

    seq: int
    author: str
    text: str
    buttons: tuple[Mapping[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The WebSocket frame for this line."""
        return {"type": "message", "seq": self.seq, "author": self.author, "text": self.text,
                "buttons": [dict(b) for b in self.buttons]}


class Hub:
    """Wakes the sockets of a pupil in this process when a line was added for them."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def notify(self, pupil_id: str) -> None:
        """A line for this pupil was committed."""
        for event in self._waiters.get(pupil_id, ()):
            event.set()

    def subscribe(self, pupil_id: str) -> asyncio.Event:
        """An event set on every new line for this pupil (until `unsubscribe`)."""
        event = asyncio.Event()
        self._waiters.setdefault(pupil_id, set()).add(event)
        return event

    def unsubscribe(self, pupil_id: str, event: asyncio.Event) -> None:
        """Stop waking this event."""
        waiters = self._waiters.get(pupil_id)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[pupil_id]


class WebLog:
    """Appends to and reads the per-pupil log."""

    def __init__(self, store: Store, cipher: Cipher, hub: Hub) -> None:
        self.store = store
        self.cipher = cipher
        self.hub = hub

    async def append(self, pupil_id: str, author: str, payload: Mapping[str, Any],
                     ref: str | None = None) -> bool:
        """Add one line (once per `ref`); False when a line with this ref exists already.

        The pupil transaction orders the lines of one pupil: ids follow commit order.
        """
        async with self.store.pupil_transaction(pupil_id) as session:
            if ref is not None and await _has_ref(session, ref):
                return False
            session.add(WebMessage(pupil_id=pupil_id, author=author, ref=ref,
                                   body=self.cipher.seal(dict(payload))))
        self.hub.notify(pupil_id)
        return True

    async def after(self, pupil_id: str, seq: int) -> list[Line]:
        """The lines after `seq`, oldest first (at most one page)."""
        async with self.store.sessions() as session:
            rows = (await session.scalars(
                select(WebMessage)
                .where(WebMessage.pupil_id == pupil_id, WebMessage.id > seq)
                .order_by(WebMessage.id)
                .limit(PAGE)
            )).all()
        lines = []
        for row in rows:
            payload = self.cipher.open(row.body)
            buttons = tuple(
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in payload.get("buttons") or () if isinstance(b, Mapping)
            )
            lines.append(Line(row.id, row.author, str(payload.get("text") or ""), buttons))
        return lines


async def _has_ref(session: AsyncSession, ref: str) -> bool:
    found = await session.scalar(select(WebMessage.id).where(WebMessage.ref == ref))
    return found is not None


class WebSender:
    """The outbox Sender for `pupil:<id>`: web pupils get a log line, others go to `other`."""

    def __init__(self, weblog: WebLog, other: Sender | None = None) -> None:
        self.weblog = weblog
        self.other = other
        self._channels: dict[str, str] = {}  # a pupil's channel never changes

    def routing(self, other: Sender) -> WebSender:
        """This sender, with `other` (Telegram) for the pupils of other channels."""
        return WebSender(self.weblog, other)

    async def send(self, destination: str, payload: Mapping[str, Any]
                   ) -> Mapping[str, Any] | None:
        """Append a web pupil's message to their log; hand any other pupil to `other`."""
        kind, _, pupil_id = destination.partition(":")
        channel = await self._channel_of(pupil_id) if kind == "pupil" and pupil_id else None
        if channel is None:
            raise DeliveryRejected(f"cannot deliver to destination kind '{kind}' (no pupil)")
        if channel != CHANNEL:
            if self.other is None:
                raise RetryLater(f"no sender for {channel} pupils in this process", 60.0)
            return await self.other.send(destination, payload)
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DeliveryRejected(f"payload kind '{payload.get('kind')}' has no text")
        await self.weblog.append(pupil_id, "bot", {"text": text,
                                                   "buttons": payload.get("buttons") or []})
        return {}

    async def joined(self, destination: str, payloads: list[Mapping[str, Any]]
                     ) -> Mapping[str, Any] | None:
        """Another channel's pupil: that sender's joining (Telegram joins a turn's bubbles).

        A web pupil's bubbles stay apart: the page shows each as it comes, with no rate limit.
        """
        kind, _, pupil_id = destination.partition(":")
        joined = getattr(self.other, "joined", None)
        if kind != "pupil" or not pupil_id or joined is None:
            return None
        channel = await self._channel_of(pupil_id)
        if channel is None or channel == CHANNEL:
            return None
        result: Mapping[str, Any] | None = await joined(destination, payloads)
        return result

    async def _channel_of(self, pupil_id: str) -> str | None:
        channel = self._channels.get(pupil_id)
        if channel is None:
            async with self.weblog.store.sessions() as session:
                channel = await session.scalar(select(Pupil.channel).where(Pupil.id == pupil_id))
            if channel is None:
                return None
            if len(self._channels) > 50_000:
                self._channels.clear()
            self._channels[pupil_id] = channel
        return channel
