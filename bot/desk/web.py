"""The counsellor desk over HTTP (aiohttp): the page, a JSON API and a live event stream.

Mounted at `/desk` by the web server of `wegwijs run`; `desk_app(app)` also runs alone.
Every API call but sign-in needs a session cookie (HttpOnly, SameSite=Strict, Secure unless
served to this machine over plain HTTP); every POST also needs the session's CSRF token in
the `X-CSRF-Token` header and, when the browser sends one, an Origin of this host.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.app import App
from bot.desk.accounts import Accounts, LoginRefused
from bot.desk.cases import DeskCases, DeskRefused
from bot.desk.pulse import Pulse
from bot.desk.sessions import Sessions, SignedIn
from bot.handoff.desk_texts import DeskTexts

log = logging.getLogger(__name__)

COOKIE = "wegwijs_desk"
COOKIE_PATH = "/desk"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"desk.js": "text/javascript", "desk.css": "text/css"}
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 16_384
STILL_HERE = 15.0  # seconds between a stream's keep-alive and session checks
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Desk:
    """What the desk's handlers share."""

    app: App
    accounts: Accounts
    sessions: Sessions
    cases: DeskCases
    pulse: Pulse
    closing: asyncio.Event

    @property
    def texts(self) -> DeskTexts:
        """content/desk.yml as the app serves it now (a content reload brings new texts)."""
        return self.app.handoff.texts.desk

    async def stop_streams(self, _: web.Application) -> None:
        """Server shutdown: end the event streams now (the pages reconnect to the next run)."""
        self.closing.set()
        await self.pulse.stop()


DESK = web.AppKey("desk", Desk)
SIGNED_IN = web.RequestKey("desk_signed_in", SignedIn)


def desk_app(app: App, poll_seconds: float = 1.0) -> web.Application:
    """The desk as an aiohttp application, to mount at `/desk`."""
    clock = lambda: app.handoff.clock()  # noqa: E731 (follows the handoff clock tests set)
    accounts = Accounts(app.store, app.cipher, clock)
    cases = DeskCases(app, accounts)
    desk = Desk(
        app,
        accounts,
        Sessions(app.store, clock),
        cases,
        Pulse(cases.version, poll_seconds),
        asyncio.Event(),
    )
    web_app = web.Application(middlewares=[_guard], client_max_size=MAX_BODY)
    web_app[DESK] = desk
    web_app.on_shutdown.append(desk.stop_streams)
    web_app.router.add_get("/", page)
    web_app.router.add_get("/static/{name}", static)
    web_app.router.add_get("/api/texts", texts_json)
    web_app.router.add_post("/api/login", login)
    web_app.router.add_post("/api/logout", logout)
    web_app.router.add_get("/api/me", me)
    web_app.router.add_get("/api/queue", queue)
    web_app.router.add_get("/api/history", history)
    web_app.router.add_get("/api/audit", audit)
    web_app.router.add_get("/api/colleagues", colleagues)
    web_app.router.add_get("/api/cases/{case:\\d+}", case_detail)
    web_app.router.add_post("/api/cases/{case:\\d+}/{action}", case_action)
    web_app.router.add_get("/api/events", events)
    return web_app


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions, CSRF and Origin checks for the API; security headers on everything."""
    route = request.match_info.handler
    if route not in _PUBLIC:
        desk = request.app[DESK]
        # the page refreshing itself is not a counsellor's action: it does not extend the session
        automatic = request.headers.get("X-Desk-Auto") == "1" or route is events
        signed = await desk.sessions.find(request.cookies.get(COOKIE), touch=not automatic)
        if signed is None:
            return _secured(web.json_response({"error": "session_ended"}, status=401))
        if request.method == "POST" and not (
            signed.csrf_ok(request.headers.get("X-CSRF-Token")) and _same_origin(request)
        ):
            log.warning("desk request refused: CSRF or Origin check failed")
            return _secured(web.json_response({"error": "csrf"}, status=403))
        request[SIGNED_IN] = signed
    elif request.method == "POST" and not _same_origin(request):
        return _secured(web.json_response({"error": "csrf"}, status=403))
    response = await handler(request)
    return _secured(response)


def _secured(response: web.StreamResponse) -> web.StreamResponse:
    if not response.prepared:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _same_origin(request: web.Request) -> bool:
    """No Origin (not a browser's cross-site request) or the Origin of this very host."""
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _signed(request: web.Request) -> SignedIn:
    signed: SignedIn = request[SIGNED_IN]
    return signed


async def page(request: web.Request) -> web.StreamResponse:
    """The desk's one page (sign-in and desk)."""
    return web.FileResponse(STATIC / "index.html", headers={"Content-Type": "text/html"})


async def static(request: web.Request) -> web.StreamResponse:
    """The page's script and style sheet (a fixed list: nothing else is served)."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers={"Content-Type": STATIC_FILES[name]})


async def texts_json(request: web.Request) -> web.StreamResponse:
    """The screen words from content/desk.yml."""
    return web.json_response(dict(request.app[DESK].texts.ui))


async def login(request: web.Request) -> web.StreamResponse:
    """Sign in with login, password and TOTP code; sets the session cookie."""
    desk = request.app[DESK]
    body = await _body(request)
    try:
        account = await desk.accounts.authenticate(
            str(body.get("login", ""))[:64],
            str(body.get("password", ""))[:256],
            str(body.get("code", ""))[:12],
        )
    except LoginRefused as exc:
        return web.json_response({"error": f"login_{exc.reason}"}, status=401)
    token, signed = await desk.sessions.open(account)
    response = web.json_response(_me(signed))
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.secure or request.url.host not in LOOPBACK,
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    await request.app[DESK].sessions.close(request.cookies.get(COOKIE))
    response = web.json_response({})
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


async def me(request: web.Request) -> web.StreamResponse:
    """Who is signed in, and the CSRF token for this session."""
    return web.json_response(_me(_signed(request)))


async def queue(request: web.Request) -> web.StreamResponse:
    """Open cases in the account's networks."""
    desk, signed = request.app[DESK], _signed(request)
    rows = await desk.cases.queue(signed.account)
    return web.json_response({"cases": [row.to_json() for row in rows]})


async def history(request: web.Request) -> web.StreamResponse:
    """Closed cases within the retention period."""
    desk, signed = request.app[DESK], _signed(request)
    rows = await desk.cases.history(signed.account)
    return web.json_response({"cases": [row.to_json() for row in rows]})


async def audit(request: web.Request) -> web.StreamResponse:
    """The audit log of cases in scope (coordinators and admins)."""
    desk, signed = request.app[DESK], _signed(request)
    try:
        return web.json_response({"entries": await desk.cases.audit_log(signed.account)})
    except DeskRefused as exc:
        return _refused(exc)


async def colleagues(request: web.Request) -> web.StreamResponse:
    """Counsellors and networks a case can be handed to."""
    desk, signed = request.app[DESK], _signed(request)
    names = desk.app.handoff.texts.network_names
    return web.json_response(
        {
            "counsellors": await desk.cases.colleagues(signed.account),
            "networks": [{"id": k, "name": v} for k, v in names.items()],
            "quick_replies": [{"title": r.title, "text": r.text} for r in desk.texts.quick_replies],
        }
    )


async def case_detail(request: web.Request) -> web.StreamResponse:
    """One case as the account may read it (the read is audited)."""
    desk, signed = request.app[DESK], _signed(request)
    try:
        detail = await desk.cases.detail(signed.account, int(request.match_info["case"]))
    except DeskRefused as exc:
        return _refused(exc)
    return web.json_response(detail)


async def case_action(request: web.Request) -> web.StreamResponse:
    """claim, reply, note, close or transfer; answers with the case as it is now."""
    desk, signed = request.app[DESK], _signed(request)
    case_id, action = int(request.match_info["case"]), request.match_info["action"]
    body = await _body(request)
    cases, account = desk.cases, signed.account
    try:
        if action == "claim":
            await cases.claim(account, case_id)
        elif action == "reply":
            await cases.reply(account, case_id, str(body.get("text", "")))
        elif action == "note":
            await cases.note(account, case_id, str(body.get("text", "")))
        elif action == "close":
            await cases.close(account, case_id, str(body.get("outcome", "")))
        elif action == "transfer":
            network, login_ = body.get("network"), body.get("login")
            await cases.transfer(
                account, case_id, str(network) if network else None, str(login_) if login_ else None
            )
        else:
            raise web.HTTPNotFound()
    except DeskRefused as exc:
        return _refused(exc)
    try:
        return web.json_response(await cases.detail(account, case_id))
    except DeskRefused:  # handed to a network out of this account's scope
        return web.json_response({"id": case_id, "gone": True})


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: 'change' whenever a case in the database changes (any replica).

    The first event comes at once, so a page that reconnects (dropped line, server restart)
    fetches everything again: nothing is missed. 'signed_out' when the session ends.
    """
    desk = request.app[DESK]
    token = request.cookies.get(COOKIE)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no", **HEADERS}
    )
    await response.prepare(request)
    await response.write(b"retry: 2000\n\n")
    loop = asyncio.get_running_loop()
    seen, checked = None, loop.time()
    try:
        while not desk.closing.is_set():
            version = await desk.pulse.next(seen, STILL_HERE)
            if version is not None:
                data = json.dumps({"version": version})
                await response.write(f"id: {version}\nevent: change\ndata: {data}\n\n".encode())
                seen = version
            if loop.time() - checked >= STILL_HERE and not desk.closing.is_set():
                checked = loop.time()
                if await desk.sessions.find(token, touch=False) is None:
                    await response.write(b"event: signed_out\ndata: {}\n\n")
                    break
                await response.write(b": still here\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


def _me(signed: SignedIn) -> dict[str, Any]:
    account = signed.account
    return {
        "login": account.login,
        "name": account.name,
        "role": account.role,
        "networks": sorted(account.networks),
        "reads_audit": account.reads_audit,
        "csrf": signed.csrf,
    }


def _refused(exc: DeskRefused) -> web.Response:
    status = {"not_found": 404, "not_allowed": 403}.get(exc.reason, 409)
    values = {k: str(v) for k, v in exc.values.items()}
    return web.json_response({"error": exc.reason, **values}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest() from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest()
    return data


# Served without a session: the page, its files, its words and the sign-in itself.
_PUBLIC: tuple[Handler, ...] = (page, static, texts_json, login)
