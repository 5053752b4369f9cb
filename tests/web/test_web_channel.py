"""The web channel through real HTTP and WebSocket (aiohttp's test server), on SQLite and
PostgreSQL: sessions, delivery from the outbox in order and once, limits, erasure, headers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import App
from bot.channels.web.chat import Limits, RateLimit
from bot.channels.web.log import Hub, WebLog, WebSender
from bot.channels.web.sessions import Sessions
from bot.delivery.retention import purge
from bot.errors import SettingsError
from bot.infra.sql import OutboxEntry, Pupil, WebMessage, WebSession, utcnow
from bot.server import web_app
from bot.settings import Settings

WAIT = 15.0  # seconds: an upper bound for a frame to arrive, not a measured duration


class Chat:
    """The web app on a test server, with the outbox dispatcher delivering."""

    def __init__(self, app: App, client: TestClient[Any, Any]) -> None:
        self.app = app
        self.client = client
        self.origin = f"http://{client.host}:{client.port}"

    async def connect(self, token: str | None = None, after: int = 0,
                      netwerk: str | None = None) -> ClientWebSocketResponse:
        ws = await self.client.ws_connect("/ws", headers={"Origin": self.origin})
        await ws.send_json({"type": "hello", "token": token, "after": after, "netwerk": netwerk})
        return ws


async def frames_until(ws: ClientWebSocketResponse, done: Any) -> list[dict[str, Any]]:
    """Frames received until `done(frames)` is true."""
    frames: list[dict[str, Any]] = []
    while not done(frames):
        message = await ws.receive(timeout=WAIT)
        frames.append(json.loads(message.data))
    return frames


async def delivered(app: App) -> int:
    """Wait until the outbox has delivered everything; the number of log lines then."""
    for _ in range(int(WAIT / 0.05)):
        async with app.store.sessions() as db:
            waiting = await db.scalar(select(func.count()).select_from(OutboxEntry).where(
                OutboxEntry.status == "pending"))
            lines = await db.scalar(select(func.count()).select_from(WebMessage))
        if not waiting:
            return int(lines or 0)
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not deliver")


def messages(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == "message"]


def has_bot_reply_after_ack(frames: list[dict[str, Any]]) -> bool:
    """An ack came, and a bot line after the last pupil line."""
    kinds = [(f["type"], f.get("author")) for f in frames]
    if ("ack", None) not in kinds:
        return False
    last_pupil = max((i for i, k in enumerate(kinds) if k == ("message", "pupil")), default=-1)
    return any(k == ("message", "bot") for k in kinds[last_pupil + 1:])


@pytest.fixture
async def chat(app: App) -> AsyncIterator[Chat]:
    hub = Hub()
    sender = WebSender(WebLog(app.store, app.cipher, hub))
    stop = asyncio.Event()
    delivery = asyncio.create_task(app.dispatcher({"pupil": sender}).run(stop, idle=0.2))
    server = TestServer(web_app(app, hub), host="127.0.0.1")
    client: TestClient[Any, Any] = TestClient(server)
    await client.start_server()
    try:
        yield Chat(app, client)
    finally:
        await client.close()
        stop.set()
        await delivery


async def start(chat: Chat, netwerk: str | None = None
                ) -> tuple[ClientWebSocketResponse, str, list[dict[str, Any]]]:
    """A new session: its token and the frames up to the welcome's buttons."""
    ws = await chat.connect(netwerk=netwerk)
    frames = await frames_until(ws, lambda fs: any(f.get("buttons") for f in fs))
    token = next(f["token"] for f in frames if f["type"] == "session")
    return ws, token, frames


async def test_a_new_session_gets_the_welcome_and_only_a_keyed_hash_is_stored(chat: Chat) -> None:
    ws, token, frames = await start(chat)
    assert [f["type"] for f in frames[:2]] == ["session", "ready"]
    assert "automatische assistent" in messages(frames)[0]["text"]
    async with chat.app.store.sessions() as db:
        rows = (await db.scalars(select(WebSession))).all()
        bodies = (await db.scalars(select(WebMessage.body))).all()
    assert len(rows) == 1 and rows[0].token_hash != token and token not in rows[0].token_hash
    assert all(b"automatische" not in body for body in bodies)  # encrypted at rest
    await ws.close()


async def test_text_is_echoed_then_answered_and_a_reconnect_gets_only_the_rest(
    chat: Chat,
) -> None:
    ws, token, frames = await start(chat)
    await ws.send_json({"type": "text", "id": "m1", "text": "ik wil stoppen met school"})
    frames += await frames_until(ws, lambda fs: any(f["type"] == "ack" for f in fs))
    total = await delivered(chat.app)
    frames += await frames_until(ws, lambda fs: len(messages(frames + fs)) == total)
    lines = messages(frames)
    pupil = [f for f in lines if f["author"] == "pupil"]
    assert [f["text"] for f in pupil] == ["ik wil stoppen met school"]
    seqs = [f["seq"] for f in lines]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    await ws.close()

    # the tab comes back having shown up to the pupil's line: it gets the rest, in order, once
    shown = pupil[0]["seq"]
    ws = await chat.connect(token, after=shown)
    again = await frames_until(ws, lambda fs: len(messages(fs)) == len(
        [f for f in lines if f["seq"] > shown]))
    assert [f["type"] for f in again[:1]] == ["ready"]  # the same session: no new token
    assert [f["seq"] for f in messages(again)] == [f["seq"] for f in lines if f["seq"] > shown]
    # a reload (nothing shown) gets the whole conversation
    await ws.close()
    ws = await chat.connect(token, after=0)
    whole = await frames_until(ws, lambda fs: len(messages(fs)) == len(lines))
    assert [f["text"] for f in messages(whole)] == [f["text"] for f in lines]
    await ws.close()


async def test_a_message_sent_again_after_a_drop_is_handled_once(chat: Chat) -> None:
    ws, token, _ = await start(chat)
    await ws.send_json({"type": "text", "id": "same-id", "text": "hallo"})
    first = await frames_until(ws, lambda fs: any(f["type"] == "ack" for f in fs))
    total = await delivered(chat.app)
    first += await frames_until(ws, lambda fs: max(
        [0, *(f["seq"] for f in messages(first + fs))]) == total)
    await ws.close()
    ws = await chat.connect(token, after=max(f["seq"] for f in messages(first)))
    await ws.send_json({"type": "text", "id": "same-id", "text": "hallo"})
    again = await frames_until(ws, lambda fs: any(f["type"] == "ack" for f in fs))
    assert messages(again) == []  # no second echo
    assert await delivered(chat.app) == total  # and no second answer
    async with chat.app.store.sessions() as db:
        pupil_lines = await db.scalar(
            select(func.count()).select_from(WebMessage).where(WebMessage.author == "pupil"))
    assert pupil_lines == 1
    await ws.close()


async def test_buttons_are_shown_by_title_and_handled_by_payload(chat: Chat) -> None:
    ws, _, frames = await start(chat)
    button = messages(frames)[-1]["buttons"][0]
    await ws.send_json({"type": "button", "id": "b1", **button})
    more = await frames_until(ws, has_bot_reply_after_ack)
    assert [f["text"] for f in messages(more) if f["author"] == "pupil"] == [button["title"]]
    await ws.close()


async def test_a_crisis_text_gets_the_crisis_reply(chat: Chat) -> None:
    ws, _, _ = await start(chat)
    await ws.send_json({"type": "text", "id": "c1", "text": "ik wil dood"})
    frames = await frames_until(ws, lambda fs: any("1813" in f.get("text", "") for f in fs))
    assert any("1813" in f["text"] for f in messages(frames) if f["author"] == "bot")
    await ws.close()


async def test_vergeet_erases_session_and_log_and_tells_the_browser(chat: Chat) -> None:
    ws, token, _ = await start(chat)
    await ws.send_json({"type": "text", "id": "v1", "text": "/vergeet"})
    frames = await frames_until(ws, lambda fs: any(f.get("buttons") for f in messages(fs)))
    yes = next(b for b in messages(frames)[-1]["buttons"] if b["title"] == "Ja, wis alles")
    await ws.send_json({"type": "button", "id": "v2", **yes})
    await frames_until(ws, lambda fs: any(f["type"] == "forgotten" for f in fs))
    async with chat.app.store.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(WebSession)) == 0
        # what was shown before is gone; at most the confirmation follows
        left = (await db.scalars(select(WebMessage.author))).all()
    assert "pupil" not in left
    await ws.close()
    # the old token no longer opens anything: a new session starts
    ws = await chat.connect(token)
    fresh = await frames_until(ws, lambda fs: any(f["type"] == "session" for f in fs))
    assert next(f["token"] for f in fresh if f["type"] == "session") != token
    await ws.close()


async def test_retention_removes_the_log_and_session_of_an_inactive_pupil(chat: Chat) -> None:
    ws, _, _ = await start(chat)
    await ws.close()
    await Sessions(chat.app.store, chat.app.cipher).create()  # no message ever came
    report = await purge(chat.app.store, utcnow() + timedelta(days=100), 90)
    assert report.pupils == 1 and report.web_messages >= 2
    async with chat.app.store.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(WebSession)) == 0
        assert await db.scalar(select(func.count()).select_from(WebMessage)) == 0


async def test_over_the_address_limit_the_pupil_is_told_and_the_text_is_kept(chat: Chat) -> None:
    ws, _, _ = await start(chat)
    _chat_of(chat).limits = Limits(messages=RateLimit(burst=1, rate=0.0001))
    await ws.send_json({"type": "text", "id": "r1", "text": "een"})
    await frames_until(ws, lambda fs: any(f["type"] == "ack" for f in fs))
    await ws.send_json({"type": "text", "id": "r2", "text": "twee"})
    frames = await frames_until(ws, lambda fs: any(f["type"] == "notice" for f in fs))
    notice = next(f for f in frames if f["type"] == "notice")
    assert notice == {"type": "notice", "id": "r2", "retry": True,
                      "text": chat.app.content.text("slow_down")}
    assert all(f.get("text") != "twee" for f in messages(frames))  # not handled, not dropped
    await ws.close()


def _chat_of(chat: Chat) -> Any:
    """The WebChat behind the test server's `/ws` route."""
    for route in chat.client.server.app.router.routes():
        handler = route.handler
        if getattr(handler, "__name__", "") == "socket":
            return handler.__self__
    raise AssertionError("no /ws route")


async def test_a_websocket_from_another_origin_is_refused(chat: Chat) -> None:
    for headers in ({"Origin": "https://evil.example"}, {}):
        with pytest.raises(WSServerHandshakeError) as refused:
            await chat.client.ws_connect("/ws", headers=headers)
        assert refused.value.status == 403


async def test_security_headers_csp_and_embed_origins(app: App) -> None:
    app.settings = replace(app.settings, web_embed_origins=("https://www.school.be",))
    async with TestClient(TestServer(web_app(app, Hub()))) as client:
        page = await client.get("/n/limburg")
        assert page.status == 200
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert csp.endswith("frame-ancestors 'self' https://www.school.be")
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        html = await page.text()
        assert "<script src=\"/static/chat.js\"" in html and "<script>" not in html
        assert "http://" not in html and "https://" not in html  # nothing from elsewhere
        widget = await client.get("/widget.js")
        assert widget.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        body = await widget.text()
        assert json.dumps(app.content.text("web_open_chat"), ensure_ascii=False) in body
        assert "__WEGWIJS_LABELS__" not in body
        health = await client.get("/healthz")
        assert (await health.json()) == {"status": "ok"}
        for name in ("chat.js", "chat.css", "widget.js"):
            static = await client.get(f"/static/{name}")
            assert static.status == 200
            assert "https://" not in (await static.text()).replace("https:", "")


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, destination: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        self.sent.append(destination)
        return {}


async def test_the_pupil_sender_hands_telegram_pupils_to_telegram(app: App) -> None:
    async with app.store.transaction() as db:
        db.add(Pupil(id="p_tg", channel="telegram", address=None, state=None))
        db.add(Pupil(id="p_web", channel="web", address=None, state=None))
    telegram = _Recorder()
    hub = Hub()
    weblog = WebLog(app.store, app.cipher, hub)
    sender = WebSender(weblog).routing(telegram)
    await sender.send("pupil:p_tg", {"kind": "message", "text": "hoi"})
    await sender.send("pupil:p_web", {"kind": "message", "text": "hallo", "buttons": []})
    assert telegram.sent == ["pupil:p_tg"]
    assert [line.text for line in await weblog.after("p_web", 0)] == ["hallo"]


@pytest.mark.parametrize(("key", "value"), [
    ("WEGWIJS_WEB_BIND", "8080"), ("WEGWIJS_WEB_BIND", "host:port"),
    ("WEGWIJS_WEB_EMBED_ORIGINS", "www.school.be"),
    ("WEGWIJS_WEB_EMBED_ORIGINS", "https://a.be/page"),
    ("WEGWIJS_WEB_EMBED_ORIGINS", "https://a.be; script-src *"),
])
def test_web_settings_refuse_what_they_cannot_use(key: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({key: value})
    assert key in str(refused.value)


def test_web_settings_defaults_and_values() -> None:
    assert Settings.from_env({}).web_bind == ("127.0.0.1", 8080)
    settings = Settings.from_env({"WEGWIJS_WEB_BIND": "0.0.0.0:9000",
                                  "WEGWIJS_WEB_EMBED_ORIGINS": "https://a.be, https://B.be/"})
    assert settings.web_bind == ("0.0.0.0", 9000)
    assert settings.web_embed_origins == ("https://a.be", "https://b.be")


async def test_a_failing_message_gets_the_error_text_and_is_not_sent_again(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, _, _ = await start(chat)

    async def broken(inbound: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(chat.app.service, "handle", broken)
    await ws.send_json({"type": "text", "id": "e1", "text": "hallo"})
    frames = await frames_until(ws, lambda fs: any(f["type"] == "ack" for f in fs))
    assert {"type": "notice", "text": chat.app.content.text("error_generic")} in frames
    assert {"type": "ack", "id": "e1"} in frames
    await ws.close()
