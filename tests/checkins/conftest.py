"""Fixtures: an application on SQLite and PostgreSQL with a controllable check-in clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.app import App, build
from bot.conversation.service import Handled, Inbound
from bot.delivery.quiet_hours import LOCAL
from bot.settings import Settings
from tests.support.conversation import real_content


@dataclass
class Recorder:
    """An outbox Sender that keeps what it was asked to deliver."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def send(self, destination: str, payload: Mapping[str, Any]) -> None:
        self.sent.append((destination, dict(payload)))

    def checkins(self) -> list[dict[str, Any]]:
        return [p for _, p in self.sent if "checkin" in p]


@dataclass
class Pupil:
    """A pupil on one channel, talking to the service like the channel adapter would."""

    app: App
    user: str
    channel: str = "telegram"
    updates: int = 0
    last: Handled | None = None

    async def send(self, text: str | None = None, button: str | None = None) -> Handled:
        self.updates += 1
        self.last = await self.app.service.handle(
            Inbound(self.channel, self.user, self.user, f"{self.user}-{self.updates}",
                    text=text, button=button)
        )
        return self.last

    async def press(self, title: str) -> Handled:
        assert self.last is not None
        for message in self.last.messages:
            for button in message.buttons:
                if button.title == title:
                    return await self.send(button=button.payload)
        raise AssertionError(f"no button '{title}' in {self.texts}")

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.last.messages] if self.last else []

    @property
    def pupil_id(self) -> str:
        return self.app.cipher.pseudonym(self.channel, self.user)


async def make_plan(pupil: Pupil) -> None:
    """Make a plan through /mijnplan up to the check-in offer."""
    await pupil.send("/mijnplan")
    await pupil.send("mijn jaar afmaken")
    await pupil.send("mijn leerkracht wiskunde aanspreken")
    await pupil.send("mijn mama")
    await pupil.send("deze week")
    await pupil.press("Nee, alleen ik")
    assert any("Mag ik je over een week vragen" in t for t in pupil.texts), pupil.texts


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Brussels wall-clock time, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL).astimezone(UTC)


def days_ago(days: int) -> date:
    return datetime.now(LOCAL).date() - timedelta(days=days)


def settings_for(url: str, data: Any, **extra: str) -> Settings:
    return Settings.from_env({
        "WEGWIJS_DATA_DIR": str(data),
        "DATABASE_URL": url,
        "WEGWIJS_SECRET_KEY": "test-secret-key-0123456789abcdef",
        "WEGWIJS_COUNSELLOR_CHAT_ID": "-1001",
        **extra,
    })


@pytest.fixture
async def app(database_url: str, tmp_path: Any) -> AsyncIterator[App]:
    built = await build(settings_for(database_url, tmp_path / "data"), content=real_content())
    try:
        yield built
    finally:
        await built.close()
