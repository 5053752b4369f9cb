"""Delivers outbox payloads to Telegram: plain text, inline keyboards, split long texts.

Telegram's rate limits are kept by python-telegram-bot's AIORateLimiter on the Application's bot
(`bot/channels/telegram.py`); a 429 that still comes back becomes RetryLater for the outbox.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Awaitable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.conversation.service import ConversationService
from bot.errors import DeliveryRejected, RetryLater
from bot.infra.sql import Store

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # Telegram's limit, counted in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
_JOINABLE = frozenset({"kind", "text", "buttons"})  # the keys of a plain message to a pupil
_T = TypeVar("_T")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a text into chunks within the limit: at a paragraph, line, sentence or word end."""
    chunks: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        window = _prefix_within(rest, limit)
        cut = _best_cut(window)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of `text` whose UTF-16 length is within `limit`."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def _best_cut(window: str) -> int:
    """Where to cut: the last paragraph, line, sentence or word break in the second half."""
    half = len(window) // 2
    for separator in ("\n\n", "\n", ". ", "! ", "? ", " "):
        at = window.rfind(separator, half)
        if at != -1:
            return at + len(separator)
    return len(window)


def keyboard(buttons: Sequence[Mapping[str, Any]]) -> InlineKeyboardMarkup | None:
    """One inline button per row; refuses payloads Telegram would reject (over 64 bytes)."""
    rows = []
    for button in buttons:
        title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
        if not title or not 1 <= len(payload.encode()) <= MAX_CALLBACK_DATA:
            raise DeliveryRejected(f"button payload of {len(payload.encode())} bytes "
                                   f"(Telegram allows 1-{MAX_CALLBACK_DATA})")
        rows.append([InlineKeyboardButton(title, callback_data=payload)])
    return InlineKeyboardMarkup(rows) if rows else None


class PupilAddresses:
    """Pupil pseudonym -> Telegram chat id, read from the store (cached: chat ids never change)."""

    def __init__(self, service: ConversationService, store: Store) -> None:
        self.service = service
        self.store = store
        self._cache: dict[str, str] = {}

    async def chat_of(self, pupil_id: str) -> str | None:
        """The pupil's chat id, or None when the pupil is unknown."""
        address = self._cache.get(pupil_id)
        if address is None:
            async with self.store.transaction() as session:
                address = await self.service.address_of(session, pupil_id)
            if address is None:
                return None
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[pupil_id] = address
        return address


class TelegramSender:
    """The outbox Sender for `pupil:<pseudonym>` and `tg:<chat_id>` destinations."""

    def __init__(self, bot: Bot, pupils: PupilAddresses | None, join: bool = False) -> None:
        self.bot = bot
        self.pupils = pupils
        self.join = join
        self._progress: dict[str, int] = {}  # chunks of a split text already delivered

    async def send(self, destination: str, payload: Mapping[str, Any]
                   ) -> Mapping[str, Any] | None:
        """Send one payload as one or more plain-text messages; returns the last message id."""
        chat_id = await self._chat_of(destination)
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DeliveryRejected(f"payload kind '{payload.get('kind')}' has no text")
        markup = keyboard(payload.get("buttons") or ())
        chunks = split_text(text)
        key = hashlib.sha256(f"{destination}\0{text}".encode()).hexdigest()
        message: Message | None = None
        for index in range(self._progress.get(key, 0), len(chunks)):
            last = index == len(chunks) - 1
            message = await _mapped(self.bot.send_message(
                chat_id=chat_id, text=chunks[index], reply_markup=markup if last else None,
                message_thread_id=_int_or_none(payload.get("thread")),
                reply_parameters=_reply_to(payload.get("reply_to")) if index == 0 else None))
            self._progress[key] = index + 1
        self._progress.pop(key, None)
        return {"message_id": message.message_id if message else None, "chat_id": chat_id}

    async def joined(self, destination: str, payloads: list[Mapping[str, Any]]
                     ) -> Mapping[str, Any] | None:
        """Several queued plain messages as one (paragraphs), or None when they stay apart.

        Only with `join` on, only plain messages (text and buttons, nothing else), buttons only
        on the last one, and the whole within one Telegram message: fewer bubbles per turn keep
        a turn within Telegram's 30 messages a second when many pupils write at once.
        """
        if not self.join or len(payloads) < 2:
            return None
        texts = []
        for index, payload in enumerate(payloads):
            text = payload.get("text")
            if (payload.get("kind") != "message" or set(payload) - _JOINABLE
                    or not isinstance(text, str) or not text.strip()
                    or (payload.get("buttons") and index < len(payloads) - 1)):
                return None
            texts.append(text.strip())
        text = "\n\n".join(texts)
        if utf16_len(text) > MAX_TEXT:
            return None
        return {"kind": "message", "text": text, "buttons": payloads[-1].get("buttons") or []}

    async def _chat_of(self, destination: str) -> str:
        kind, _, ref = destination.partition(":")
        if kind == "tg" and ref:
            return ref
        if kind != "pupil" or not ref or self.pupils is None:
            raise DeliveryRejected(f"cannot deliver to destination kind '{kind}'")
        address = await self.pupils.chat_of(ref)
        if address is None:
            raise DeliveryRejected("pupil has no Telegram address (erased?)")
        return address


async def _mapped(call: Awaitable[_T]) -> _T:
    """Await a Bot API call, turning Telegram errors into the outbox's two kinds of failure."""
    try:
        return await call
    except RetryAfter as exc:
        raise RetryLater("telegram 429", _seconds(exc)) from exc
    except (Forbidden, BadRequest, ChatMigrated) as exc:
        raise DeliveryRejected(f"telegram refused: {type(exc).__name__}") from exc
    except InvalidToken as exc:  # the bot's token is revoked: keep the message for later
        raise RetryLater("telegram refused the token", 60.0) from exc
    except NetworkError as exc:  # includes TimedOut and 5xx answers
        raise RetryLater(f"telegram unreachable: {type(exc).__name__}") from exc
    except TelegramError as exc:
        raise RetryLater(f"telegram error: {type(exc).__name__}") from exc


def _seconds(exc: RetryAfter) -> float:
    """retry_after in seconds, whichever type this PTB version gives (int or timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _reply_to(value: Any) -> ReplyParameters | None:
    message_id = _int_or_none(value)
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
