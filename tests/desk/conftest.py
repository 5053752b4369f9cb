"""Fixtures: the handoff application with a desk mounted at /desk and desk accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.desk.web import desk_app
from tests.desk.support import Clock, DeskUser, make_accounts
from tests.handoff import conftest as handoff_fixtures

# The handoff tests' fixtures: the application with a networks config and recording senders.
content_dir = handoff_fixtures.content_dir
loaded_content = handoff_fixtures.loaded_content
handoff_env = handoff_fixtures.handoff_env
happ = handoff_fixtures.happ
group = handoff_fixtures.group
pupils = handoff_fixtures.pupils
dispatcher = handoff_fixtures.dispatcher


@pytest.fixture
def clock(happ: App) -> Clock:
    """A clock the test moves on; the handoff and the desk both read it."""
    moving = Clock()
    happ.handoff.clock = moving
    return moving


@pytest.fixture
async def server(happ: App, clock: Clock) -> AsyncIterator[TestServer]:
    """The desk, mounted at /desk as in `wegwijs run`, on a real local port."""
    root = web.Application()
    root.add_subapp("/desk", desk_app(happ, poll_seconds=0.05))
    test_server = TestServer(root, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield test_server
    finally:
        await test_server.close()


@pytest.fixture
async def users(happ: App, clock: Clock) -> dict[str, DeskUser]:
    """Accounts: a Limburg and an Antwerpen counsellor, a Limburg coordinator, an admin."""
    return await make_accounts(happ, clock)


@pytest.fixture
async def client(server: TestServer) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """An HTTP client (a browser without JavaScript) with its own cookie jar."""
    async with TestClient(server) as test_client:
        yield test_client
