"""Test support for the handoff: a recording Sender, a pupil, a counsellor, outbox helpers."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, update

from bot.app import App
from bot.conversation.service import Handled, Inbound
from bot.delivery.outbox import Dispatcher
from bot.errors import RetryLater
from bot.flows.state import State
from bot.handoff.service import CounsellorInbound
from bot.infra.sql import Case, OutboxEntry, Pupil

# A Wednesday, 10:00 in Brussels: the counsellors are in.
OFFICE_TIME = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
# A Saturday, 11:00 in Brussels: nobody is in until Monday 9:00.
WEEKEND_TIME = datetime(2025, 3, 15, 10, 0, tzinfo=UTC)

DEFAULT_CHAT = "-1001"
ANTWERPEN_CHAT = "-1002"
LIMBURG_CHAT = "-1003"
SARA = "501"
YOUSSEF = "502"
STRANGER = "666"

_update_ids = itertools.count(10_000)


def networks_config(path: Path, smtp_port: int | None = None) -> Path:
    """A networks config with two network chats, an allow-list and (optionally) SMTP."""
    data: dict[str, Any] = {
        "networks": {
            "antwerpen": {"telegram_chat_id": ANTWERPEN_CHAT},
            "limburg": {"telegram_chat_id": LIMBURG_CHAT, "email": ["leerrecht@example.org"]},
        },
        "counsellors": [
            {"telegram_id": int(SARA), "first_name": "Sara", "role": "clb", "username": "sara_clb"},
            {"telegram_id": int(YOUSSEF), "first_name": "Youssef", "role": "trajectbegeleider"},
        ],
        "timing": {
            "claim_timeout_minutes": 30,
            "reminder_every_minutes": 30,
            "continuity_minutes": 15,
        },
    }
    if smtp_port is not None:
        data["smtp"] = {
            "host": "127.0.0.1",
            "port": smtp_port,
            "from": "wegwijs@example.org",
            "timeout_seconds": 5,
        }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@dataclass
class Delivery:
    """One message a Sender delivered."""

    destination: str
    payload: dict[str, Any]
    message_id: int

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, str]]:
        return list(self.payload.get("buttons") or [])


@dataclass
class RecordingSender:
    """An in-repo fake at the Sender port: records deliveries; can be 'down' (RetryLater)."""

    down: bool = False
    sent: list[Delivery] = field(default_factory=list)
    refused: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    async def send(self, destination: str, payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if self.down:
            self.refused += 1
            raise RetryLater("counsellor group unreachable", 0.0)
        delivery = Delivery(destination, dict(payload), next(self._ids))
        self.sent.append(delivery)
        return {"message_id": delivery.message_id, "chat_id": destination.partition(":")[2]}

    def to(self, destination: str) -> list[Delivery]:
        return [d for d in self.sent if d.destination == destination]

    def texts(self, destination: str) -> list[str]:
        return [d.text for d in self.to(destination)]


async def make_due(app: App) -> None:
    """Pretend the backoff has passed: every pending entry is due now."""
    async with app.store.transaction() as session:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.status == "pending")
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1), lease_until=None)
        )


async def drain(app: App, dispatcher: Dispatcher, rounds: int = 200) -> int:
    """Deliver until nothing more can be delivered; returns how many were sent."""
    total = 0
    idle = 0
    for _ in range(rounds):
        await make_due(app)
        sent = await dispatcher.deliver_due()
        total += sent
        idle = 0 if sent else idle + 1
        if idle >= 2:
            break
    return total


async def pending(app: App) -> int:
    async with app.store.transaction() as session:
        return len(
            (
                await session.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending"))
            ).all()
        )


async def cases(app: App) -> list[Case]:
    async with app.store.transaction() as session:
        return list((await session.scalars(select(Case).order_by(Case.id))).all())


class PupilChat:
    """A pupil on Telegram talking to the real conversation service."""

    def __init__(self, app: App, user: str = "4242") -> None:
        self.app = app
        self.user = user
        self.id = app.cipher.pseudonym("telegram", user)
        self.destination = f"pupil:{self.id}"
        self.last: Handled | None = None

    async def say(self, text: str) -> Handled:
        self.last = await self.app.service.handle(
            Inbound("telegram", self.user, self.user, str(next(_update_ids)), text=text)
        )
        return self.last

    async def press(self, payload: str) -> Handled:
        self.last = await self.app.service.handle(
            Inbound("telegram", self.user, self.user, str(next(_update_ids)), button=payload)
        )
        return self.last

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.last.messages] if self.last else []

    def button(self, title: str) -> str:
        """The payload of the button with this title in the last replies."""
        assert self.last is not None
        return next(b.payload for m in self.last.messages for b in m.buttons if b.title == title)

    async def set_slots(self, **slots: Any) -> None:
        """Prime the conversation state (as if the pupil had answered these questions)."""
        async with self.app.store.pupil_transaction(self.id) as session:
            pupil = await session.get(Pupil, self.id)
            assert pupil is not None and pupil.state is not None
            state = State.from_json(self.app.cipher.open(pupil.state)).with_slots(**slots)
            pupil.state = self.app.cipher.seal(state.to_json())

    async def ask_for_a_person(self, consent: str = "summary", **slots: Any) -> Handled:
        """/start, some answers, then the handoff with this consent."""
        await self.say("/start")
        if slots:
            await self.set_slots(**slots)
        await self.press("!intent:ask_human")
        return await self.press(f"handoff.consent:{consent}")


@dataclass
class Counsellor:
    """A counsellor in a counsellor chat."""

    app: App
    user_id: str
    chat: str
    name: str = "Sara Peeters"

    async def press(self, data: str, update_id: str | None = None) -> None:
        await self.app.handoff.handle_counsellor(
            CounsellorInbound(
                self.chat,
                self.user_id,
                self.name,
                update_id or str(next(_update_ids)),
                callback_data=data,
            )
        )

    async def reply(self, message_id: int, text: str, update_id: str | None = None) -> None:
        await self.app.handoff.handle_counsellor(
            CounsellorInbound(
                self.chat,
                self.user_id,
                self.name,
                update_id or str(next(_update_ids)),
                reply_to_message_id=str(message_id),
                text=text,
            )
        )

    async def say(self, text: str) -> None:
        await self.app.handoff.handle_counsellor(
            CounsellorInbound(self.chat, self.user_id, self.name, str(next(_update_ids)), text=text)
        )
