"""Test support for the desk: a clock the test moves, accounts, and a signed-in HTTP client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyotp
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import App
from bot.desk.accounts import Accounts
from tests.handoff.support import OFFICE_TIME

PASSWORD = "correct horse battery"


@dataclass
class Clock:
    """Now, moved on by the test (TOTP codes and session timeouts follow it)."""

    now: datetime = OFFICE_TIME

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class DeskUser:
    """A desk account and its TOTP secret (as the admin handed it out)."""

    login: str
    secret: str
    clock: Clock
    csrf: str = field(default="")

    def code(self) -> str:
        """The code the authenticator app shows now (a fresh time step each call)."""
        self.clock.advance(seconds=30)
        return pyotp.TOTP(self.secret).at(self.clock.now)


async def make_accounts(app: App, clock: Clock) -> dict[str, DeskUser]:
    accounts = Accounts(app.store, app.cipher, clock)
    made = {}
    for login, name, role, networks in (
        ("lotte", "Lotte Janssens", "counsellor", ["limburg"]),
        ("bram", "Bram De Smet", "counsellor", ["antwerpen"]),
        ("ines", "Ines Claes", "counsellor", ["limburg"]),
        ("koen", "Koen Maes", "coordinator", ["limburg"]),
        ("admin", "Admin", "admin", ["*"]),
    ):
        enrolment = await accounts.add(login, name, role, networks, PASSWORD, title="clb")
        made[login] = DeskUser(login, enrolment.secret, clock)
    return made


async def sign_in(
    client: TestClient[web.Request, web.Application], user: DeskUser, password: str = PASSWORD
) -> dict[str, Any]:
    """Sign in; keeps the CSRF token on the user."""
    response = await client.post(
        "/desk/api/login", json={"login": user.login, "password": password, "code": user.code()}
    )
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    user.csrf = body["csrf"]
    return body


async def post(
    client: TestClient[web.Request, web.Application],
    user: DeskUser,
    path: str,
    expect: int = 200,
    **body: Any,
) -> dict[str, Any]:
    """A POST with the user's CSRF token."""
    response = await client.post(path, json=body, headers={"X-CSRF-Token": user.csrf})
    data: dict[str, Any] = await response.json()
    assert response.status == expect, data
    return data


async def get(
    client: TestClient[web.Request, web.Application], path: str, expect: int = 200
) -> dict[str, Any]:
    response = await client.get(path)
    data: dict[str, Any] = await response.json()
    assert response.status == expect, data
    return data
