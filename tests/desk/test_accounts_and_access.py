"""Sign-in, lockout, TOTP, sessions, CSRF and network scope of the desk, over real HTTP."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.app import App
from bot.delivery.outbox import Dispatcher
from bot.desk.accounts import LOCKOUT, MAX_FAILURES, Accounts
from bot.handoff.tables import DeskAccount, DeskSession
from bot.infra.sql import AuditEntry
from tests.desk.support import PASSWORD, Clock, DeskUser, get, post, sign_in
from tests.handoff.support import PupilChat, RecordingSender, cases, drain

Client = TestClient[web.Request, web.Application]


async def _attempt(client: Client, user: DeskUser, password: str, code: str | None = None) -> str:
    response = await client.post(
        "/desk/api/login",
        json={"login": user.login, "password": password, "code": code or user.code()},
    )
    if response.status == 200:
        return "ok"
    assert response.status == 401
    return str((await response.json())["error"])


async def test_wrong_password_and_wrong_code_are_refused_alike(
    client: Client, users: dict[str, DeskUser]
) -> None:
    lotte = users["lotte"]
    assert await _attempt(client, lotte, "not the password") == "login_invalid"
    assert await _attempt(client, lotte, PASSWORD, code="000000") == "login_invalid"
    assert (
        await _attempt(
            client, users["lotte"].__class__("nobody", lotte.secret, lotte.clock), PASSWORD
        )
        == "login_invalid"
    )
    assert await get(client, "/desk/api/queue", expect=401) == {"error": "session_ended"}
    assert await _attempt(client, lotte, PASSWORD) == "ok"
    assert (await get(client, "/desk/api/me"))["login"] == "lotte"


async def test_a_totp_code_works_once(client: Client, users: dict[str, DeskUser]) -> None:
    lotte = users["lotte"]
    code = lotte.code()
    assert await _attempt(client, lotte, PASSWORD, code) == "ok"
    assert await _attempt(client, lotte, PASSWORD, code) == "login_invalid"


async def test_lockout_after_repeated_failures_then_unlocked_after_a_while(
    happ: App, client: Client, users: dict[str, DeskUser], clock: Clock
) -> None:
    lotte = users["lotte"]
    results = [await _attempt(client, lotte, "guess number x") for _ in range(MAX_FAILURES)]
    assert results == ["login_invalid"] * (MAX_FAILURES - 1) + ["login_locked"]
    assert await _attempt(client, lotte, PASSWORD) == "login_locked", "right password, still locked"
    clock.advance(seconds=LOCKOUT.total_seconds() + 1)
    assert await _attempt(client, lotte, PASSWORD) == "ok"
    async with happ.store.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions.count("login_failed") == MAX_FAILURES and "locked" in actions


async def test_password_is_stored_as_argon2id_and_totp_secret_sealed(
    happ: App, users: dict[str, DeskUser]
) -> None:
    async with happ.store.transaction() as session:
        row = (await session.scalars(select(DeskAccount).where(DeskAccount.login == "lotte"))).one()
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert users["lotte"].secret.encode() not in row.totp_secret


async def test_session_cookie_is_httponly_strict_and_stored_as_a_hash(
    happ: App, client: Client, users: dict[str, DeskUser]
) -> None:
    response = await client.post(
        "/desk/api/login",
        json={"login": "lotte", "password": PASSWORD, "code": users["lotte"].code()},
    )
    cookie = response.cookies["wegwijs_desk"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/desk"
    async with happ.store.transaction() as session:
        stored = (await session.scalars(select(DeskSession.token_hash))).all()
    assert cookie.value not in stored and len(stored) == 1


async def test_idle_session_expires(
    client: Client, users: dict[str, DeskUser], clock: Clock
) -> None:
    await sign_in(client, users["lotte"])
    clock.advance(minutes=20)
    await get(client, "/desk/api/queue")  # activity keeps the session alive
    clock.advance(minutes=20)
    await get(client, "/desk/api/queue")
    clock.advance(minutes=31)
    assert await get(client, "/desk/api/queue", expect=401) == {"error": "session_ended"}


async def test_posts_need_the_csrf_token_and_this_origin(
    happ: App, dispatcher: Dispatcher, client: Client, users: dict[str, DeskUser]
) -> None:
    await PupilChat(happ).ask_for_a_person("summary", network="limburg")
    await drain(happ, dispatcher)
    case_id = (await cases(happ))[-1].id
    lotte = users["lotte"]
    await sign_in(client, lotte)
    path = f"/desk/api/cases/{case_id}/claim"
    no_token = await client.post(path, json={})
    assert no_token.status == 403
    wrong = await client.post(path, json={}, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status == 403
    other_site = await client.post(
        path, json={}, headers={"X-CSRF-Token": lotte.csrf, "Origin": "https://evil.example"}
    )
    assert other_site.status == 403
    assert (await cases(happ))[-1].status == "pending", "a refused request changed the case"
    claimed = await post(client, lotte, path)
    assert claimed["status"] == "claimed" and claimed["mine"]


async def test_a_limburg_counsellor_never_sees_a_case_of_antwerpen(
    happ: App, dispatcher: Dispatcher, client: Client, users: dict[str, DeskUser]
) -> None:
    await PupilChat(happ, "7001").ask_for_a_person("full", network="antwerpen")
    await PupilChat(happ, "7002").ask_for_a_person("full", network="limburg")
    await drain(happ, dispatcher)
    antwerpen, limburg = (await cases(happ))[-2:]
    assert (antwerpen.network, limburg.network) == ("antwerpen", "limburg")
    lotte = users["lotte"]
    await sign_in(client, lotte)
    queue = await get(client, "/desk/api/queue")
    assert [c["id"] for c in queue["cases"]] == [limburg.id]
    assert await get(client, f"/desk/api/cases/{antwerpen.id}", expect=404) == {
        "error": "not_found"
    }
    await post(client, lotte, f"/desk/api/cases/{antwerpen.id}/claim", expect=404)
    await post(client, lotte, f"/desk/api/cases/{antwerpen.id}/note", expect=404, text="x")
    assert (await cases(happ))[-2].status == "pending"
    audit = await get(client, "/desk/api/audit", expect=403)
    assert audit["error"] == "not_allowed", "a counsellor does not read the audit log"


async def test_a_disabled_account_loses_its_sessions(
    happ: App, client: Client, users: dict[str, DeskUser]
) -> None:
    await sign_in(client, users["lotte"])
    await Accounts(happ.store, happ.cipher, users["lotte"].clock).disable("lotte")
    assert (await get(client, "/desk/api/me", expect=401))["error"] == "session_ended"
    assert await _attempt(client, users["lotte"], PASSWORD) == "login_disabled"


async def test_signing_out_ends_the_session(
    client: Client, users: dict[str, DeskUser], group: RecordingSender
) -> None:
    lotte = users["lotte"]
    await sign_in(client, lotte)
    await post(client, lotte, "/desk/api/logout")
    await get(client, "/desk/api/me", expect=401)


async def test_the_page_refreshing_itself_does_not_keep_the_session_alive(
    client: Client, users: dict[str, DeskUser], clock: Clock
) -> None:
    await sign_in(client, users["lotte"])
    for _ in range(3):
        clock.advance(minutes=12)
        response = await client.get("/desk/api/queue", headers={"X-Desk-Auto": "1"})
        if response.status == 401:
            break
    assert response.status == 401, "an open desk nobody uses must sign out after 30 minutes"
