"""The pupil's web chat over aiohttp: the page, the widget script and the WebSocket.

WebSocket frames (JSON). Browser to server: `hello` {token, after, netwerk} first, then
`text` {id, text} and `button` {id, payload, title}. Server to browser: `session` {token}
(a new session), `ready`, `message` {seq, author, text, buttons}, `ack` {id}, `notice`
{text, id?} and `forgotten`. A message the server did not acknowledge is sent again by the
browser after a reconnect, with the same id: it is handled once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web

from bot.app import App
from bot.channels.web.log import PAGE as LOG_PAGE
from bot.channels.web.log import POLL, Hub, WebLog
from bot.channels.web.sessions import CHANNEL, Session, Sessions
from bot.conversation.guard import StoreUnavailable
from bot.conversation.service import MAX_TEXT, Inbound

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_FRAME = 32 * 1024
HELLO_TIMEOUT = 15.0
MESSAGE_ID = re.compile(r"[A-Za-z0-9-]{1,40}")
NETWORK_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
LABELS_MARK = "__WEGWIJS_LABELS__"


@dataclass
class RateLimit:
    """A token bucket per key (a network address): `burst` at once, then `rate` per second."""

    burst: float
    rate: float
    clock: Any = time.monotonic
    max_keys: int = 50_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str) -> bool:
        """Count one; False when the key is over its limit (nothing is counted then)."""
        now = self.clock()
        if len(self._buckets) >= self.max_keys:
            full = self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
        tokens, stamp = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        return True


@dataclass
class Limits:
    """Per network address: new connections and messages (a school shares one address)."""

    connections: RateLimit = field(default_factory=lambda: RateLimit(burst=60, rate=1.0))
    messages: RateLimit = field(default_factory=lambda: RateLimit(burst=60, rate=5.0))


class WebChat:
    """The handlers of the pupil's web chat."""

    def __init__(self, app: App, hub: Hub, limits: Limits | None = None) -> None:
        self.app = app
        self.hub = hub
        self.weblog = WebLog(app.store, app.cipher, hub)
        self.sessions = Sessions(app.store, app.cipher)
        self.limits = limits or Limits()
        self._widget = (STATIC / "widget.js").read_text(encoding="utf-8")
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    async def close_sockets(self, _: web.Application) -> None:
        """On shutdown: close every open chat socket ("going away": the page reconnects to the
        server that comes next), so the server does not wait for them to end by themselves."""
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """`/`, `/n/<code>`, `/widget.js`, `/ws` and the static files."""
        router.add_get("/", self.page)
        router.add_get("/n/{code}", self.page)
        router.add_get("/widget.js", self.widget)
        router.add_get("/ws", self.socket)
        router.add_static("/static/", STATIC)

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The chat page (the network code, if any, is read by the page's script)."""
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def widget(self, request: web.Request) -> web.StreamResponse:
        """The embed script, with the launcher's labels from content/texts.yml."""
        content = self.app.content
        labels = {"open": content.text("web_open_chat"), "close": content.text("web_close_chat"),
                  "title": content.text("web_chat_title")}
        body = self._widget.replace(LABELS_MARK, json.dumps(labels, ensure_ascii=False))
        return web.Response(text=body, content_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=300"})

    async def socket(self, request: web.Request) -> web.StreamResponse:
        """One browser tab: hello, then messages both ways until it goes away."""
        if not same_origin(request):
            raise web.HTTPForbidden(text="origin not allowed")
        address = request.remote or "unknown"
        if not self.limits.connections.take(address):
            raise web.HTTPTooManyRequests(text="too many connections")
        ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=MAX_FRAME)
        await ws.prepare(request)
        self._sockets.add(ws)
        tail: asyncio.Task[None] | None = None
        try:
            hello = await self._hello(ws)
            if hello is None:
                return ws
            session, after, start = hello
            tail = asyncio.create_task(self._tail(ws, session.pupil_id, after), name="web-tail")
            await ws.send_json({"type": "ready"})
            if start is not None:
                await self._handle(ws, session, Inbound(CHANNEL, session.token_hash, CHANNEL,
                                                        f"{session.pupil_id}:start", text=start))
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    break
                await self._frame(ws, session, address, message.data)
        finally:
            if tail is not None:
                tail.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await tail
        return ws

    async def _hello(self, ws: web.WebSocketResponse) -> tuple[Session, int, str | None] | None:
        """The first frame: resume the session of the token, or start a new one."""
        try:
            message = await ws.receive(timeout=HELLO_TIMEOUT)
        except TimeoutError:
            await ws.close(code=4408)
            return None
        frame = _json(message.data) if message.type == WSMsgType.TEXT else None
        if frame is None or frame.get("type") != "hello":
            await ws.close(code=4400)
            return None
        after = frame.get("after")
        after = after if isinstance(after, int) and after >= 0 else 0
        session = await self.sessions.resume(frame.get("token"))
        if session is not None:
            return session, after, None
        token, session = await self.sessions.create()
        await ws.send_json({"type": "session", "token": token})
        code = frame.get("netwerk")
        start = f"/start {code}" if isinstance(code, str) and NETWORK_CODE.fullmatch(code) else (
            "/start")
        return session, 0, start

    async def _frame(self, ws: web.WebSocketResponse, session: Session, address: str,
                     data: str) -> None:
        frame = _json(data)
        kind = frame.get("type") if frame else None
        ident = frame.get("id") if frame else None
        if frame is None or kind not in ("text", "button") or not (
            isinstance(ident, str) and MESSAGE_ID.fullmatch(ident)
        ):
            await ws.send_json({"type": "error", "error": "expected text or button with an id"})
            return
        if not self.limits.messages.take(address):
            # not handled: the page puts the text back in the input box (never a silent drop)
            await ws.send_json({"type": "notice", "id": ident, "retry": True,
                                "text": self.app.content.text("slow_down")})
            return
        update_id = f"{session.pupil_id}:{ident}"
        if kind == "text":
            text = frame.get("text")
            if not isinstance(text, str) or not text.strip():
                await ws.send_json({"type": "ack", "id": ident})
                return
            shown, inbound = text[:MAX_TEXT], Inbound(
                CHANNEL, session.token_hash, CHANNEL, update_id, text=text)
        else:
            payload, title = frame.get("payload"), frame.get("title")
            if not isinstance(payload, str) or not payload:
                await ws.send_json({"type": "ack", "id": ident})
                return
            shown = title[:200] if isinstance(title, str) and title.strip() else payload[:200]
            inbound = Inbound(CHANNEL, session.token_hash, CHANNEL, update_id, button=payload)
        await self.weblog.append(session.pupil_id, "pupil", {"text": shown},
                                 ref=f"in:{update_id}")
        await self._handle(ws, session, inbound, ident)

    async def _handle(self, ws: web.WebSocketResponse, session: Session, inbound: Inbound,
                      ident: str | None = None) -> None:
        """Run the pipeline (replies come back through the outbox and the log), then ack."""
        try:
            await self.app.service.handle(inbound)
        except StoreUnavailable:
            # the browser keeps the message and sends it again after reconnecting
            log.warning("web message of pupil %s waits: the database is down", session.pupil_id)
            await ws.close(code=1011)
            return
        except Exception:
            # a bug, not an outage: sending it again would fail again. Tell the pupil (the
            # text names 1813 and 112, in case this was a cry for help); the log has no text.
            log.exception("web message of pupil %s failed", session.pupil_id)
            await ws.send_json({"type": "notice", "text": self.app.content.text("error_generic")})
        if ident is not None:
            await ws.send_json({"type": "ack", "id": ident})
        if not await self.sessions.exists(session):
            await ws.send_json({"type": "forgotten"})

    async def _tail(self, ws: web.WebSocketResponse, pupil_id: str, after: int) -> None:
        """Send every new line of the pupil's log, in order, once per connection."""
        woken = self.hub.subscribe(pupil_id)
        cursor = after
        try:
            while not ws.closed:
                woken.clear()
                lines = await self.weblog.after(pupil_id, cursor)
                for line in lines:
                    await ws.send_json(line.to_json())
                    cursor = line.seq
                if len(lines) == LOG_PAGE:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), POLL)
        except (ConnectionError, RuntimeError):
            return  # the socket went away; the browser asks for the rest when it is back
        finally:
            self.hub.unsubscribe(pupil_id, woken)


def same_origin(request: web.Request) -> bool:
    """The WebSocket's Origin is this site (the page or the widget's frame, never another)."""
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc.lower() == request.host.lower()


def _json(data: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
