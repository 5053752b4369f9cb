"""Live updates come from the database: a change on another replica reaches an open desk,
and a desk that reconnects gets the current state at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App, build
from bot.delivery.outbox import Dispatcher
from bot.desk.accounts import Accounts
from bot.desk.cases import DeskCases
from bot.desk.web import desk_app
from bot.flows.model import Content
from bot.settings import Settings
from tests.desk.support import Clock, DeskUser, get, post, sign_in
from tests.handoff.support import LIMBURG_CHAT, SARA, Counsellor, PupilChat, cases, drain

Client = TestClient[web.Request, web.Application]


async def _next_change(stream: ClientResponse) -> str:
    """The version in the next 'change' event of the stream."""
    event = None
    async for raw in stream.content:
        line = raw.decode().strip()
        if line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:") and event == "change":
            return line.partition(":")[2].strip()
    raise AssertionError("the event stream ended")


async def _limburg_case(happ: App, dispatcher: Dispatcher) -> int:
    """A pupil asks for a person in Limburg; the case's id."""
    await PupilChat(happ).ask_for_a_person("summary", network="limburg")
    await drain(happ, dispatcher)
    return (await cases(happ))[-1].id


@pytest.fixture
async def replica(
    handoff_env: dict[str, str], loaded_content: Content, clock: Clock
) -> AsyncIterator[App]:
    """A second bot process on the same database."""
    other = await build(Settings.from_env(handoff_env), content=loaded_content)
    other.handoff.clock = clock
    try:
        yield other
    finally:
        await other.close()


async def test_a_claim_on_another_replica_reaches_the_open_desk(
    happ: App,
    replica: App,
    dispatcher: Dispatcher,
    users: dict[str, DeskUser],
) -> None:
    pupil = PupilChat(happ)
    await pupil.ask_for_a_person("summary", network="limburg")
    await drain(happ, dispatcher)
    case_id = (await cases(happ))[-1].id
    servers = []
    for built in (happ, replica):
        root = web.Application()
        root.add_subapp("/desk", desk_app(built, poll_seconds=0.05))
        servers.append(TestServer(root, host="127.0.0.1"))
    async with TestClient(servers[0]) as one, TestClient(servers[1]) as two:
        await sign_in(one, users["lotte"])
        await sign_in(two, users["ines"])
        stream = await two.get("/desk/api/events")
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = await asyncio.wait_for(_next_change(stream), 10)
        await post(one, users["lotte"], f"/desk/api/cases/{case_id}/claim")
        second = await asyncio.wait_for(_next_change(stream), 10)
        assert second != first
        [row] = (await get(two, "/desk/api/queue"))["cases"]
        assert (row["status"], row["counsellor"]) == ("claimed", "Lotte")
        await pupil.say("hallo?")  # a pupil line on the first replica wakes the second's desk
        third = await asyncio.wait_for(_next_change(stream), 10)
        assert third != second
        stream.close()

        # A page that reconnects gets the current version at once (and fetches everything).
        again = await two.get("/desk/api/events", headers={"Last-Event-ID": first})
        assert await asyncio.wait_for(_next_change(again), 10) == third
        again.close()


async def test_a_claim_in_telegram_wakes_the_desk(
    happ: App, dispatcher: Dispatcher, client: Client, users: dict[str, DeskUser]
) -> None:
    case_id = await _limburg_case(happ, dispatcher)
    await sign_in(client, users["lotte"])
    stream = await client.get("/desk/api/events")
    first = await asyncio.wait_for(_next_change(stream), 10)
    await Counsellor(happ, SARA, LIMBURG_CHAT).press(f"case:{case_id}:claim")
    assert await asyncio.wait_for(_next_change(stream), 10) != first
    stream.close()


async def test_reading_a_case_does_not_wake_the_desks(
    happ: App, dispatcher: Dispatcher, client: Client, users: dict[str, DeskUser]
) -> None:
    case_id = await _limburg_case(happ, dispatcher)
    await sign_in(client, users["lotte"])
    before = await get(client, "/desk/api/queue")
    version = await _version(happ)
    await get(client, f"/desk/api/cases/{case_id}")
    assert await _version(happ) == version, "a read would make every open desk reload forever"
    assert before["cases"]


async def _version(app: App) -> str:
    return await DeskCases(app, Accounts(app.store, app.cipher)).version()
