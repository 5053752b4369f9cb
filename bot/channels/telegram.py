"""The Telegram channel on python-telegram-bot 22: polling or webhook, outbox delivery, commands.

Pieces: `telegram_updates` turns updates into service calls, `telegram_sender` delivers the
outbox. Replies are never sent from a handler: the service stores them in the outbox in the
same transaction as the pupil's state, and the sender delivers them (nothing is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import signal
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from bot.app import App, build
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_sender import PupilAddresses, TelegramSender
from bot.channels.telegram_updates import (
    ALLOWED_UPDATES,
    CounsellorChat,
    PerChatProcessor,
    TelegramChannel,
)
from bot.delivery.outbox import Sender
from bot.flows.model import Content
from bot.settings import Settings

log = logging.getLogger(__name__)


async def serve(settings: Settings, webhook_url: str | None, listen: str, port: int,
                stop: asyncio.Event | None = None, app: App | None = None,
                pupil_sender: Callable[[Sender], Sender] | None = None) -> None:
    """Run until `stop` is set (or a signal arrives), then shut down in order.

    Builds the application from the settings unless one is given (tests pass their own).
    `pupil_sender` wraps the Telegram sender for `pupil:` entries (the web chat routes its
    own pupils and hands the others to Telegram).
    """
    stop = stop or stop_on_signals()
    owned = app is None
    app = app or await build(settings)
    try:
        application = build_application(settings, app)
        addresses = PupilAddresses(app.service, app.store)
        sender = TelegramSender(application.bot, addresses)
        to_pupils = TelegramSender(application.bot, addresses, join=settings.telegram_join)
        pupils = to_pupils if pupil_sender is None else pupil_sender(to_pupils)
        async with application:
            await set_commands(application, app.content)
            await application.start()
            async with app.running({"pupil": pupils, "tg": sender},
                                   partial(set_commands, application)):
                await _start_updates(application, settings, webhook_url, listen, port)
                log.info("telegram bot running (%s)", "webhook" if webhook_url else "polling")
                await stop.wait()
                log.info("telegram bot stopping")
                if application.updater is not None:
                    await application.updater.stop()
                await application.stop()  # lets the updates in progress finish
    finally:
        if owned:
            await app.close()


def build_application(settings: Settings, app: App) -> Application:  # type: ignore[type-arg]
    """The PTB Application with every handler registered (in this one place)."""
    builder = (ApplicationBuilder().token(settings.telegram_token.reveal())
               .request(AiohttpRequest()).get_updates_request(AiohttpRequest(pool_size=1)))
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(_file_url(base))
    if settings.telegram_rate_limit:
        # Telegram's documented limits (30 messages/s overall, 20/min per group); a 429 is not
        # retried here but handed to the outbox, which retries after `retry_after`. (The builder's
        # generic type changes with a limiter's argument type; PTB's stubs cannot express that.)
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))  # type: ignore[arg-type]
    application = builder.concurrent_updates(PerChatProcessor()).build()
    channel = TelegramChannel(app.service, app.handoff)  # texts read from the current content
    private = filters.ChatType.PRIVATE
    counsellor = CounsellorChat(app.handoff)
    application.add_handlers([
        CallbackQueryHandler(channel.button_pressed),
        MessageHandler(private & (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE),
                       channel.pupil_message),
        MessageHandler(counsellor & filters.UpdateType.MESSAGE, channel.counsellor_message),
        MessageHandler(~private & ~counsellor, channel.other_chat),
        ChatMemberHandler(channel.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
    ])
    application.add_error_handler(channel.error)
    return application


async def set_commands(application: Application, content: Content) -> None:  # type: ignore[type-arg]
    """Register the pupil commands with their Dutch descriptions (menu in private chats).

    Called at start-up and again after every successful content reload.
    """
    commands = [BotCommand(name, description)
                for name, description in content.patterns.command_descriptions.items()
                if description]
    try:
        await application.bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())
    except TelegramError as exc:  # the bot works without its menu: do not refuse to start
        log.warning("setMyCommands failed: %s", type(exc).__name__)


def webhook_secret(settings: Settings) -> str:
    """The webhook's secret token, derived from the secret key (stable across restarts)."""
    key = settings.ensure_secret_key().reveal().encode()
    return hmac.new(key, b"wegwijs telegram webhook", hashlib.sha256).hexdigest()


async def _start_updates(application: Application, settings: Settings,  # type: ignore[type-arg]
                         webhook_url: str | None, listen: str, port: int) -> None:
    updater = application.updater
    if updater is None:
        raise RuntimeError("the application was built without an updater")
    if webhook_url is None:
        await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        return
    await updater.start_webhook(listen=listen, port=port, url_path=urlsplit(webhook_url).path,
                                webhook_url=webhook_url, allowed_updates=ALLOWED_UPDATES,
                                secret_token=webhook_secret(settings))


def _file_url(base: str) -> str:
    """PTB's base_file_url matching a base_url: https://host/bot -> https://host/file/bot."""
    parts = urlsplit(base)
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    return parts._replace(path=f"{head}/file/{last or 'bot'}").geturl()


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on every platform
            loop.add_signal_handler(signum, stop.set)
    return stop
