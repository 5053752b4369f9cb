"""Driving the real conversation service as one pupil (SQLite, the Telegram channel)."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.conversation.service import Handled, Inbound
from bot.delivery.outbox import URGENT
from bot.flows.nlu import NluResult
from bot.infra.sql import Case, OutboxEntry

PERSON = "Praat met een mens"


class ScriptedNlu:
    """An NLU port that answers from a script; None means the NLU is down (degraded mode)."""

    def __init__(self, result: NluResult | None) -> None:
        self.result = result

    async def parse(self, text: str) -> NluResult | None:
        return self.result


class Pupil:
    """One pupil on the Telegram channel (replies also go through the outbox)."""

    def __init__(self, app: App, ref: str = "p1") -> None:
        self.app = app
        self.ref = ref
        self.updates = 0
        self.last: Handled | None = None

    async def send(self, text: str | None = None, button: str | None = None) -> Handled:
        self.updates += 1
        self.last = await self.app.service.handle(
            Inbound("telegram", self.ref, self.ref, str(self.updates), text=text, button=button)
        )
        return self.last

    async def press(self, title: str) -> Handled:
        assert self.last is not None
        payload = next(b.payload for m in self.last.messages for b in m.buttons if b.title == title)
        return await self.send(button=payload)

    @property
    def texts(self) -> str:
        return " ".join(m.text for m in self.last.messages) if self.last else ""

    @property
    def buttons(self) -> list[str]:
        return [b.title for m in self.last.messages for b in m.buttons] if self.last else []

    @property
    def messages(self) -> list[str]:
        return [m.text for m in self.last.messages] if self.last else []


async def outbox(app: App) -> list[tuple[OutboxEntry, dict[str, object]]]:
    async with app.store.transaction() as session:
        entries = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all()
        return [(e, app.cipher.open(e.payload)) for e in entries]


async def alerts(app: App) -> list[tuple[OutboxEntry, dict[str, object]]]:
    """Everything sent to counsellors with priority (safety alerts, urgent cases)."""
    return [(e, p) for e, p in await outbox(app) if e.priority == URGENT]


async def claim(app: App, counsellor: str = "Sara") -> Case:
    """A counsellor claims the pupil's open case: from now on the pupil talks with a person."""
    async with app.store.transaction() as session:
        case = (await session.scalars(select(Case).order_by(Case.id.desc()))).first()
        assert case is not None, "no case to claim"
        case.status = "claimed"
        case.counsellor_id = counsellor.lower()
        case.counsellor_name = counsellor
        return case
