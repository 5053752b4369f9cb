"""Telegram updates in, service calls out: thin callbacks, one per kind of thing a user did."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from functools import partial
from typing import Any

from telegram import Chat, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor, ContextTypes, filters

from bot.conversation.guard import wait_for_store
from bot.conversation.service import ConversationService, Inbound
from bot.handoff.service import CounsellorInbound, HandoffService

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Update kinds the bot asks Telegram for (anything else is never sent to it).
ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "callback_query",
                   "my_chat_member"]
# Checked in this order: the first attribute present names the media kind.
MEDIA_KINDS = ("voice", "video_note", "audio", "photo", "sticker", "animation", "video",
               "document", "venue", "location", "contact", "poll", "dice")
LEAVE_AGAIN_AFTER = 60.0  # seconds: one goodbye per chat, even when several updates arrive

Context = ContextTypes.DEFAULT_TYPE


class CounsellorChat(filters.MessageFilter):
    """Messages in a chat configured as a counsellor destination."""

    def __init__(self, handoff: HandoffService) -> None:
        super().__init__(name="CounsellorChat")
        self.handoff = handoff

    def filter(self, message: Message) -> bool:
        """True for a counsellor chat."""
        return self.handoff.is_counsellor_chat(str(message.chat.id))


class PerChatProcessor(BaseUpdateProcessor):
    """Updates of one chat run one after another in arrival order; other chats in parallel."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers once the earlier updates of its chat are done."""
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def chat_key(update: object) -> str | None:
    """The chat an update belongs to (the user for a button on an inline message)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return str(update.effective_chat.id)
    return str(update.effective_user.id) if update.effective_user is not None else None


def media_kind(message: Message) -> str:
    """What a non-text message carries ("photo", "voice", ...; "other" when unknown)."""
    return next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), "other")


class TelegramChannel:
    """The callbacks registered on the PTB Application."""

    def __init__(self, service: ConversationService, handoff: HandoffService) -> None:
        self.service = service
        self.handoff = handoff
        self._left: dict[int, float] = {}

    def _text(self, key: str) -> str:
        """A system text from the content served now (a reload changes it without a restart)."""
        return self.service.content.text(key)

    async def _handle(self, inbound: Inbound, context: Context) -> None:
        """Hand the message to the service; while the database is down, keep it and retry.

        PTB has already acknowledged the update to Telegram, so giving up would lose it: the
        per-chat processor keeps this chat's later updates waiting behind this one meanwhile.
        """
        async def tell(text: str) -> None:
            if text:
                with contextlib.suppress(TelegramError):
                    await context.bot.send_message(int(inbound.address), text)

        try:
            _, waited = await wait_for_store(
                partial(self.service.handle, inbound), partial(tell, self._text("busy_retry"))
            )
        except Exception:
            # A bug, not an outage. The update is acknowledged already, so at least tell the
            # pupil (the text names 1813 and 112, in case this was a cry for help); the error
            # handler logs the failure.
            await tell(self._text("error_generic"))
            raise
        if waited:
            log.warning("pupil message handled after a database outage (or given up)")

    async def pupil_message(self, update: Update, context: Context) -> None:
        """A pupil wrote, edited a message, or sent something other than text, in private."""
        message, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None or user.is_bot:
            return
        # A caption is read as text (so it passes the safety screen); the picture is not.
        text = message.text if message.text is not None else message.caption
        await self._handle(Inbound(
            CHANNEL, str(user.id), str(chat.id), str(update.update_id), text=text,
            media=None if text is not None else media_kind(message)), context)
        # Replies went to the outbox with the state; the TelegramSender delivers them.

    async def button_pressed(self, update: Update, context: Context) -> None:
        """Someone pressed an inline button: always answer the query, then route the press."""
        query, user, chat = update.callback_query, update.effective_user, update.effective_chat
        if query is None or user is None:
            return
        try:
            await query.answer()
        except TelegramError as exc:  # e.g. the query is too old: still handle the press
            log.info("callback answer failed: %s", type(exc).__name__)
        if query.data is None:
            return
        if chat is not None and chat.type != Chat.PRIVATE:
            if self.handoff.is_counsellor_chat(str(chat.id)):
                await self.handoff.handle_counsellor(CounsellorInbound(
                    str(chat.id), str(user.id), user.full_name, str(update.update_id),
                    _thread(query.message), None, None, query.data))
            return
        address = str(chat.id) if chat is not None else str(user.id)
        await self._handle(Inbound(CHANNEL, str(user.id), address, str(update.update_id),
                                   button=query.data), context)

    async def counsellor_message(self, update: Update, context: Context) -> None:
        """A counsellor wrote in a counsellor chat (maybe in a topic, maybe as a reply)."""
        message, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None or user.is_bot:
            return
        reply = message.reply_to_message
        await self.handoff.handle_counsellor(CounsellorInbound(
            str(chat.id), str(user.id), user.full_name, str(update.update_id), _thread(message),
            str(reply.message_id) if reply is not None else None,
            message.text if message.text is not None else message.caption, None))

    async def other_chat(self, update: Update, context: Context) -> None:
        """A message in a group or channel that is not a counsellor chat: say so and leave."""
        if update.effective_chat is not None:
            await self._leave(update.effective_chat, context)

    async def membership_changed(self, update: Update, context: Context) -> None:
        """The bot was added to a chat: leave at once unless it is a counsellor chat."""
        change, chat = update.my_chat_member, update.effective_chat
        if change is None or chat is None or chat.type == Chat.PRIVATE:
            return
        joined = change.new_chat_member.status in ("member", "administrator", "restricted")
        if joined and not self.handoff.is_counsellor_chat(str(chat.id)):
            await self._leave(chat, context)

    async def _leave(self, chat: Chat, context: Context) -> None:
        now = time.monotonic()
        if now - self._left.get(chat.id, -LEAVE_AGAIN_AFTER) < LEAVE_AGAIN_AFTER:
            return
        self._left = {k: t for k, t in self._left.items() if now - t < LEAVE_AGAIN_AFTER}
        self._left[chat.id] = now
        log.info("leaving a %s chat that is not a counsellor chat", chat.type)
        try:
            await context.bot.send_message(chat.id, self._text("only_private_chats"))
        except TelegramError as exc:  # a channel may not let the bot post: leave anyway
            log.info("could not say goodbye: %s", type(exc).__name__)
        try:
            await context.bot.leave_chat(chat.id)
        except TelegramError as exc:
            log.warning("could not leave a chat: %s", type(exc).__name__)

    async def error(self, update: object, context: Context) -> None:
        """Log a failed update with its traceback, never its text."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s failed", update_id, exc_info=context.error)


def _thread(message: object) -> str | None:
    thread = getattr(message, "message_thread_id", None)
    return str(thread) if thread else None
