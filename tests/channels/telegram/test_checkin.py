"""Check-ins end to end through the fake Bot API: a pupil who says yes gets exactly one
check-in at the chosen time, never at night; a pupil who says stop gets none.

The bot runs in this process (`serve`), so the test holds both clocks: the one that plans
(`Checkins.clock`) and the one that decides what is due (`Dispatcher.clock`). Every wait is
for a message to arrive; that nothing arrives is checked after a later reply has arrived.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.delivery.quiet_hours import LOCAL
from bot.infra.tracking import Checkin
from tests.channels.telegram.conftest import serving
from tests.support.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.slow

OFFER = "Mag ik je over een week vragen hoe het ging?"


@pytest.fixture
async def running(api: FakeBotApi, tmp_path: Path, content_dir: Path) -> AsyncIterator[App]:
    async with serving(api, tmp_path / "data", content_dir) as app:
        assert app.delivering is not None
        yield app


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL)


async def reply_to(api: FakeBotApi, user: int, send: Callable[[], object],
                   expect: str | None = None) -> None:
    """Send something and wait until the bot answered it (with `expect` in the answer)."""
    before = len(api.texts(user))
    send()
    await api.until(lambda: len(api.texts(user)) > before and (
        expect is None or any(expect in t for t in api.texts(user)[before:])), timeout=15)


async def plan_and_say_yes(api: FakeBotApi, user: int) -> None:
    await reply_to(api, user, lambda: api.push_command(user, "mijnplan"), "Wat is je doel?")
    for text, question in (("mijn jaar afmaken", "eerste, kleine stap"),
                           ("mijn leerkracht aanspreken", "Wie kan je daarbij helpen?"),
                           ("mijn broer", "Tegen wanneer"),
                           ("deze week", "Mag een begeleider je plan zien?")):
        await reply_to(api, user, lambda text=text: api.push_text(user, text), question)
    await reply_to(api, user, lambda: api.press(user, "Nee, alleen ik"), OFFER)
    await reply_to(api, user, lambda: api.press(user, "Ja, over een week"), "Afgesproken")


async def due_of(app: App, user: int) -> datetime:
    pupil_id = app.cipher.pseudonym("telegram", str(user))
    async with app.store.transaction() as session:
        [row] = (await session.scalars(select(Checkin).where(Checkin.pupil_id == pupil_id))).all()
    due = row.due_at
    return due if due.tzinfo else due.replace(tzinfo=UTC)  # SQLite: naive UTC


async def test_yes_late_in_the_evening_brings_one_check_in_the_next_week_in_the_morning(
        api: FakeBotApi, running: App, user: int) -> None:
    hello = running.content.text("checkin_hello")
    # in the future: the replies enqueued now must stay due for the dispatcher's clock
    day = datetime.now(LOCAL).date() + timedelta(days=30)
    asked = at(day, 22, 45)  # late in the evening
    assert running.service.checkins is not None and running.delivering is not None
    running.service.checkins.clock = lambda: asked
    await plan_and_say_yes(api, user)
    due = (await due_of(running, user)).astimezone(LOCAL)
    assert due == at(day + timedelta(days=8), 8, 0)  # a week later, after the quiet hours
    dispatcher = running.delivering
    dispatcher.clock = lambda: due - timedelta(minutes=1)  # 07:59: too early
    await reply_to(api, user, lambda: api.push_text(user, "hallo"))
    # the whole reply (it ends with its buttons), so that none of it lands after the check-in
    await api.until(lambda: "reply_markup" in api.sent(user)[-1], timeout=15)
    assert hello not in api.texts(user)
    dispatcher.clock = lambda: due + timedelta(minutes=1)
    dispatcher.wake()
    await api.until(lambda: hello in api.texts(user), timeout=15)
    assert api.buttons(str(user)) == ["Ja, vertel", "Stop de berichtjes"]
    await reply_to(api, user, lambda: api.push_text(user, "hallo"))  # later passes: not again
    assert api.texts(user).count(hello) == 1
    # the pupil taps it open: the check-in flow asks how it went
    [checkin] = [m for m in api.sent(user) if m.get("text") == hello]
    data = checkin["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await reply_to(api, user, lambda: api.push_callback(user, data), "Hoe ging het")


async def test_after_stop_no_check_in_comes(api: FakeBotApi, running: App, user: int) -> None:
    hello = running.content.text("checkin_hello")
    assert running.service.checkins is not None and running.delivering is not None
    day = datetime.now(LOCAL).date() + timedelta(days=30)
    running.service.checkins.clock = lambda: at(day, 15, 0)
    await plan_and_say_yes(api, user)
    await reply_to(api, user, lambda: api.push_command(user, "stop"), "alles over jou wis")
    running.delivering.clock = lambda: at(day + timedelta(days=28), 15, 0)  # weeks later
    running.delivering.wake()
    await reply_to(api, user, lambda: api.press(user, "Nee, bewaar mijn plan"), "Dank je")
    await reply_to(api, user, lambda: api.push_text(user, "hallo"))
    assert hello not in api.texts(user)
