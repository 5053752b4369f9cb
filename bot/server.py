"""The web server of `wegwijs run`: pupil chat, widget, counsellor desk and health check.

One aiohttp application on `WEGWIJS_WEB_BIND` in the same event loop and with the same `App`
as the Telegram channel; one outbox dispatcher delivers for every channel. Every response,
also of mounted sub-applications, gets the security headers and a strict CSP (no inline
script, nothing from another origin).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiohttp import web
from telegram.error import InvalidToken, TelegramError

from bot.app import App, build, settle_memory
from bot.channels import telegram
from bot.channels.web.chat import WebChat
from bot.channels.web.log import Hub, WebLog, WebSender
from bot.desk.web import desk_app
from bot.errors import SettingsError
from bot.settings import Settings

log = logging.getLogger(__name__)

# The access log: no client address (pupils are minors), and the request line only (no
# pupil text ever travels in a URL; the session token neither).
ACCESS_LOG_FORMAT = '"%r" %s %b %Tfs'
Mount = tuple[str, web.Application]


class SecurityHeaders:
    """Adds the security headers to every response before it is sent (sub-apps included)."""

    def __init__(self, embed_origins: Sequence[str]) -> None:
        ancestors = " ".join(["'self'", *embed_origins])
        base = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
                "base-uri 'none'")
        self.embeddable = f"{base}; frame-ancestors {ancestors}"
        self.not_embeddable = f"{base}; frame-ancestors 'none'"

    async def __call__(self, request: web.Request, response: web.StreamResponse) -> None:
        """The aiohttp `on_response_prepare` signal."""
        headers = response.headers
        # only the pupil chat may be framed (by the configured sites); the desk never
        chat = not request.path.startswith("/desk")
        headers.setdefault("Content-Security-Policy",
                           self.embeddable if chat else self.not_embeddable)
        if not chat:
            headers.setdefault("X-Frame-Options", "DENY")
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        # the widget script is loaded by other sites; nothing else is theirs to load
        headers["Cross-Origin-Resource-Policy"] = (
            "cross-origin" if request.path == "/widget.js" else "same-origin")
        headers.pop("Server", None)


def mounts(app: App) -> list[Mount]:
    """The sub-applications next to the pupil chat: (prefix, application).

    The counsellor desk (`bot.desk.web.desk_app`) is mounted here at `/desk`.
    """
    return [("/desk", desk_app(app))]


def web_app(app: App, hub: Hub, sub_apps: Sequence[Mount] = ()) -> web.Application:
    """The root application: `/`, `/n/<code>`, `/widget.js`, `/ws`, `/static/`, `/healthz`."""
    root = web.Application(client_max_size=64 * 1024)
    root.on_response_prepare.append(SecurityHeaders(app.settings.web_embed_origins))
    chat = WebChat(app, hub)
    chat.add_routes(root.router)
    root.on_shutdown.append(chat.close_sockets)
    root.router.add_get("/healthz", _healthz)
    for prefix, sub in sub_apps:
        root.add_subapp(prefix, sub)
    return root


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


def run(settings: Settings, webhook_url: str | None, listen: str, port: int) -> int:
    """`wegwijs run`: the web server, and Telegram when TELEGRAM_BOT_TOKEN is set."""
    try:
        asyncio.run(serve(settings, webhook_url, listen, port))
    except InvalidToken:
        raise SettingsError("TELEGRAM_BOT_TOKEN", "Telegram refused this token") from None
    except TelegramError as exc:
        log.error("cannot reach the Telegram Bot API: %s", type(exc).__name__)
        return 1
    return 0


async def serve(settings: Settings, webhook_url: str | None = None, listen: str = "127.0.0.1",
                port: int = 8443, stop: asyncio.Event | None = None,
                app: App | None = None) -> None:
    """Serve every channel until `stop` is set (or SIGINT/SIGTERM arrives)."""
    stop = stop or telegram.stop_on_signals()
    owned = app is None
    if app is None:
        app = await build(settings)
        settle_memory()  # this process serves from here on
    hub = Hub()
    sender = WebSender(WebLog(app.store, app.cipher, hub))
    runner = web.AppRunner(web_app(app, hub, mounts(app)), access_log_format=ACCESS_LOG_FORMAT,
                           handle_signals=False, shutdown_timeout=5.0)
    try:
        await runner.setup()
        host, bind_port = settings.web_bind
        site = web.TCPSite(runner, host, bind_port)
        try:
            await site.start()
        except OSError as exc:  # taken, or not an address of this machine
            raise SettingsError("WEGWIJS_WEB_BIND", f"cannot listen on {host}:{bind_port} "
                                f"({exc.strerror or type(exc).__name__})") from None
        log.info("web chat at http://%s:%d/", *_address(runner, host, bind_port))
        if settings.telegram_token:
            await telegram.serve(settings, webhook_url, listen, port, stop=stop, app=app,
                                 pupil_sender=sender.routing)
        else:
            log.info("no TELEGRAM_BOT_TOKEN: the web chat only")
            async with app.running({"pupil": sender}):  # as Telegram delivers, without it
                await stop.wait()
    finally:
        await runner.cleanup()
        if owned:
            await app.close()


def _address(runner: web.AppRunner, host: str, port: int) -> tuple[str, int]:
    """The address actually bound (port 0 picks a free one)."""
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return str(address[0]), int(address[1])
    return host, port

