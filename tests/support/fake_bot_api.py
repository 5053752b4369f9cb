"""A fake Telegram Bot API server over real HTTP (aiohttp on 127.0.0.1, a free port).

It runs in its own thread with its own event loop, so sync tests, async tests and a bot in a
subprocess can all use it. Faithful to the real API where the bot can tell the difference:
form-encoded, multipart and JSON bodies (JSON-typed fields such as `reply_markup` decoded, text
fields kept as strings), `{"ok": false, "error_code", "description", "parameters"}` errors,
`getUpdates` long polling with offsets, webhook delivery with the secret header.

    with FakeBotApi() as api:
        env = api.env()                       # TELEGRAM_BOT_TOKEN + TELEGRAM_API_BASE_URL
        api.push_command(1001, "start")
        api.wait_for(lambda: len(api.sent(1001)) >= 3)
        api.press(1001, "Ik ben vaak afwezig")
        api.fail("sendMessage", times=1, status=429, retry_after=1)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456:TEST-token-for-the-fake-server"
JSON_FIELDS = frozenset({
    "reply_markup", "reply_parameters", "entities", "caption_entities", "allowed_updates",
    "commands", "scope", "link_preview_options", "media", "results", "options", "permissions",
})
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64


@dataclass
class Call:
    """One request the bot made: method name (as the API spells it) and decoded parameters."""

    method: str
    params: dict[str, Any]
    at: float
    status: int | None = None  # the HTTP status answered (None: pending; 0: dropped)
    fault: str | None = None


@dataclass
class Fault:
    """What to do instead of answering: an error status, or dropping the connection."""

    status: int = 500
    description: str | None = None
    retry_after: int | None = None
    drop: bool = False


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class _Webhook:
    url: str = ""
    secret_token: str | None = None
    deliveries: list[tuple[int, int]] = field(default_factory=list)  # (update_id, status)


class FakeBotApi:
    """The fake server; see the module docstring."""

    def __init__(self, token: str = TOKEN, bot_username: str = "wegwijs_test_bot") -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.me = {"id": self.bot_id, "is_bot": True, "first_name": "Wegwijs",
                   "username": bot_username, "can_join_groups": True,
                   "can_read_all_group_messages": False, "supports_inline_queries": False,
                   "can_connect_to_business": False, "has_main_web_app": False}
        self.port = 0
        self.webhook = _Webhook()
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self._calls: list[Call] = []
        self._changed = threading.Condition()
        self._faults: dict[str, deque[Fault | None]] = {}  # None: answer this call normally
        self._blocked: set[str] = set()
        self._pending: list[dict[str, Any]] = []
        self._next_update = itertools.count(10_001)
        self._next_message = itertools.count(501)
        self._next_query = itertools.count(9_000_001)
        self._chats: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._queries: set[str] = set()
        self._closing = False
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        """Start serving in a background thread; returns once the port is known."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True,
                                        name="fake-bot-api")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Bot API server did not start")
        return self

    def stop(self) -> None:
        """End pending long polls and webhook deliveries, then stop the server."""
        if self._thread is None:
            return
        self._run(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._thread = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """PTB `base_url` form (the token is appended by PTB)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def env(self) -> dict[str, str]:
        """Environment for a bot process that talks to this server."""
        return {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_API_BASE_URL": self.base_url}

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._startup())
        ready.set()
        self._loop.run_forever()

    async def _startup(self) -> None:
        self._updates_arrived = asyncio.Condition()
        self._client = aiohttp.ClientSession()
        self._webhook_task: asyncio.Task[None] | None = None
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        self._closing = True
        async with self._updates_arrived:
            self._updates_arrived.notify_all()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        await self._client.close()
        await self._runner.cleanup()

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # -- observing -------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request so far, in order."""
        with self._changed:
            return list(self._calls)

    def calls_of(self, method: str) -> list[Call]:
        """The requests of one method (successful or not)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Parameters of every successful sendMessage (to one chat when given)."""
        return [c.params for c in self.calls_of("sendMessage") if c.status == 200
                and (chat_id is None or str(c.params["chat_id"]) == str(chat_id))]

    def texts(self, chat_id: int | str) -> list[str]:
        """Texts delivered to a chat, in order."""
        return [str(p["text"]) for p in self.sent(chat_id)]

    def buttons(self, chat_id: int | str, nth_last: int = 1) -> list[str]:
        """Button titles of the nth-last message with an inline keyboard in a chat."""
        keyboards = self._keyboards(str(chat_id))
        if len(keyboards) < nth_last:
            return []
        return [b["text"] for row in keyboards[-nth_last] for b in row]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Block until predicate() holds (checked after each request); AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout}s; calls: "
                                         f"{[c.method for c in self._calls][-20:]}")
                self._changed.wait(min(remaining, 0.05))

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Like wait_for, for async tests (does not block the test's event loop)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s")
            await asyncio.sleep(0.005)

    def wait_sent(self, chat_id: int | str, count: int, timeout: float = 5.0) -> list[str]:
        """Wait until `count` messages reached a chat; return their texts."""
        self.wait_for(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.texts(chat_id)

    # -- faults ----------------------------------------------------------------------------

    def fail(self, method: str, times: int = 1, status: int = 500,
             retry_after: int | None = None, description: str | None = None,
             after: int = 0) -> None:
        """After `after` good answers, `times` calls of `method` get an error (429, 5xx...)."""
        fault = Fault(status, description, retry_after)
        self._faults.setdefault(method.lower(), deque()).extend([None] * after + [fault] * times)

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` have their connection closed without an answer."""
        self._faults.setdefault(method.lower(), deque()).extend([Fault(drop=True)] * times)

    def clear_faults(self) -> None:
        """Forget every fault not yet used."""
        self._faults.clear()

    def block(self, chat_id: int | str) -> None:
        """This user blocked the bot: sendMessage to the chat answers 403."""
        self._blocked.add(str(chat_id))

    # -- pushing updates -------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue a raw update (an update_id is assigned when missing); returns the update_id."""
        update = dict(update)
        update.setdefault("update_id", next(self._next_update))
        self._run(self._enqueue(update))
        return int(update["update_id"])

    def push_text(self, user_id: int, text: str, **extra: Any) -> int:
        """A pupil writes text in their private chat."""
        return self.push({"message": self._message(self._private(user_id), user_id, text=text,
                                                   **extra)})

    def push_command(self, user_id: int, command: str, argument: str = "") -> int:
        """A pupil sends /command (with the bot_command entity Telegram adds)."""
        text = f"/{command}" + (f" {argument}" if argument else "")
        entity = {"type": "bot_command", "offset": 0, "length": len(command) + 1}
        return self.push_text(user_id, text, entities=[entity])

    def push_media(self, user_id: int, kind: str, caption: str | None = None) -> int:
        """A pupil sends a photo, voice, sticker, video, location, contact or document."""
        extra: dict[str, Any] = {kind: _MEDIA[kind](user_id)}
        if caption is not None:
            extra["caption"] = caption
        return self.push({"message": self._message(self._private(user_id), user_id, **extra)})

    def push_edited(self, user_id: int, message_id: int, text: str) -> int:
        """A pupil edits an earlier message."""
        message = self._message(self._private(user_id), user_id, text=text,
                                edit_date=int(time.time()))
        message["message_id"] = message_id
        return self.push({"edited_message": message})

    def push_callback(self, user_id: int, data: str,
                      message: dict[str, Any] | None = None) -> tuple[int, str]:
        """A pupil presses an inline button; returns (update_id, callback query id)."""
        query_id = str(next(self._next_query))
        self._queries.add(query_id)
        query: dict[str, Any] = {"id": query_id, "from": _user(user_id),
                                 "chat_instance": f"ci{user_id}", "data": data}
        if message is not None:
            query["message"] = message
        return self.push({"callback_query": query}), query_id

    def press(self, user_id: int, title: str, nth_last: int = 1) -> tuple[int, str]:
        """Press the button with this title on the nth-last bot message with a keyboard."""
        chat = str(user_id)
        with_keyboard = [m for m in self._messages.get(chat, []) if m.get("reply_markup")]
        if len(with_keyboard) < nth_last:
            raise AssertionError(f"no message with a keyboard in chat {chat}")
        message = with_keyboard[-nth_last]
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if button["text"] == title:
                    return self.push_callback(user_id, button["callback_data"], message)
        raise AssertionError(f"no button {title!r}; have {self.buttons(chat, nth_last)}")

    def push_group_text(self, chat_id: int, user_id: int, text: str, chat_type: str = "supergroup",
                        **extra: Any) -> int:
        """Someone writes in a group (or a forum topic: pass message_thread_id=...)."""
        chat = self._chat(chat_id, chat_type, title="Groep")
        return self.push({"message": self._message(chat, user_id, text=text, **extra)})

    def push_group_callback(self, chat_id: int, user_id: int, data: str) -> tuple[int, str]:
        """Someone presses a button on the newest bot message in a group."""
        messages = self._messages.get(str(chat_id)) or [
            self._message(self._chat(chat_id, "supergroup", title="Groep"), self.bot_id, text="x")]
        return self.push_callback(user_id, data, messages[-1])

    def push_channel_post(self, chat_id: int, text: str) -> int:
        """A post appears in a channel the bot was added to."""
        chat = self._chat(chat_id, "channel", title="Kanaal")
        message = {"message_id": next(self._next_message), "date": int(time.time()),
                   "chat": chat, "sender_chat": chat, "text": text}
        return self.push({"channel_post": message})

    # -- building objects ------------------------------------------------------------------

    def _chat(self, chat_id: int, chat_type: str, **names: str) -> dict[str, Any]:
        chat = {"id": chat_id, "type": chat_type, **names}
        self._chats[str(chat_id)] = chat
        return chat

    def _private(self, user_id: int) -> dict[str, Any]:
        return self._chat(user_id, "private", first_name="Pupil")

    def _message(self, chat: dict[str, Any], user_id: int, **fields: Any) -> dict[str, Any]:
        sender = self.me if user_id == self.bot_id else _user(user_id)
        return {"message_id": next(self._next_message), "date": int(time.time()),
                "chat": chat, "from": sender, **fields}

    def _keyboards(self, chat: str) -> list[list[list[dict[str, Any]]]]:
        return [m["reply_markup"]["inline_keyboard"] for m in self._messages.get(chat, [])
                if m.get("reply_markup")]

    # -- the HTTP side ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        name = request.match_info["method"]
        method = _METHODS.get(name.lower())
        params = await _params(request)
        faults = self._faults.get(name.lower())
        fault = faults.popleft() if faults else None
        call = Call(name if method is None else method.__name__.removeprefix("_api_"), params,
                    time.monotonic(), None,
                    None if fault is None else ("drop" if fault.drop else str(fault.status)))
        self._record(call)
        if fault is not None:
            response = await _apply(fault, request)
        elif method is None:
            response = _error(ApiError(404, "Not Found: method not found"))
        else:
            try:
                response = web.json_response({"ok": True, "result": await method(self, params)})
            except ApiError as exc:
                response = _error(exc)
        with self._changed:
            call.status = 0 if fault and fault.drop else response.status
            self._changed.notify_all()
        return response

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    async def _enqueue(self, update: dict[str, Any]) -> None:
        async with self._updates_arrived:
            self._pending.append(update)
            self._updates_arrived.notify_all()

    def _confirm(self, offset: int) -> None:
        self._pending = [u for u in self._pending if u["update_id"] >= offset]

    async def _deliver_webhook(self) -> None:
        while True:
            async with self._updates_arrived:
                await self._updates_arrived.wait_for(lambda: bool(self._pending) or self._closing)
            if self._closing or not self.webhook.url:
                return
            update = self._pending[0]
            headers = {"Content-Type": "application/json"}
            if self.webhook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook.secret_token
            try:
                async with self._client.post(self.webhook.url, data=json.dumps(update),
                                             headers=headers) as response:
                    status = response.status
            except aiohttp.ClientError:
                status = 0
            self.webhook.deliveries.append((update["update_id"], status))
            if 200 <= status < 300:
                self._confirm(update["update_id"] + 1)
            else:
                await asyncio.sleep(0.2)  # Telegram repeats failed deliveries after a while

    # -- Bot API methods (named _api_<method>) ---------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.me

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook.url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._confirm(offset)
        async with self._updates_arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_arrived.wait_for(
                    lambda: bool(self._pending) or self._closing), timeout)
        return [] if self._closing else self._pending[:limit]

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook.url = str(params.get("url") or "")
        self.webhook.secret_token = params.get("secret_token")
        if _flag(params.get("drop_pending_updates")):
            self._pending.clear()
        if self.webhook.url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.create_task(self._deliver_webhook())
        async with self._updates_arrived:
            self._updates_arrived.notify_all()
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook.url, self.webhook.secret_token = "", None
        if _flag(params.get("drop_pending_updates")):
            self._pending.clear()
        async with self._updates_arrived:
            self._updates_arrived.notify_all()
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": self.webhook.url, "has_custom_certificate": False,
                "pending_update_count": len(self._pending)}

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat = _required(params, "chat_id")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        if chat in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        markup = params.get("reply_markup")
        _check_keyboard(markup)
        message = self._message(self._chats.get(chat) or _guess_chat(chat), self.bot_id,
                                text=text)
        if markup:
            message["reply_markup"] = markup
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        self._messages.setdefault(chat, []).append(message)
        return message

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if str(_required(params, "callback_query_id")) not in self._queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        return True

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        chat, message_id = _required(params, "chat_id"), int(_required(params, "message_id"))
        _check_keyboard(params.get("reply_markup"))
        for message in self._messages.get(chat, []):
            if message["message_id"] == message_id:
                if params.get("reply_markup"):
                    message["reply_markup"] = params["reply_markup"]
                else:
                    message.pop("reply_markup", None)
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: parameter \"commands\" is required")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32 and name.islower() and name.replace("_", "").isalnum()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope") or {"type": "default"}
        self.commands[f"{scope['type']}:{params.get('language_code') or ''}"] = commands
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> Any:
        scope = params.get("scope") or {"type": "default"}
        return self.commands.get(f"{scope['type']}:{params.get('language_code') or ''}", [])

    async def _api_leaveChat(self, params: dict[str, Any]) -> Any:
        _required(params, "chat_id")
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        _required(params, "chat_id")
        return True

    async def _api_deleteMessage(self, params: dict[str, Any]) -> Any:
        _required(params, "chat_id")
        return True

    async def _api_createForumTopic(self, params: dict[str, Any]) -> Any:
        _required(params, "chat_id")
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        return {"message_thread_id": next(self._next_message), "name": name,
                "icon_color": 7322096}

    async def _api_close(self, params: dict[str, Any]) -> Any:
        return True


_METHODS: dict[str, Callable[[FakeBotApi, dict[str, Any]], Coroutine[Any, Any, Any]]] = {
    name.removeprefix("_api_").lower(): function
    for name, function in vars(FakeBotApi).items() if name.startswith("_api_")
}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Pupil", "language_code": "nl"}


_MEDIA: dict[str, Callable[[int], Any]] = {
    "photo": lambda u: [{"file_id": f"ph{u}", "file_unique_id": f"uph{u}", "width": 90,
                         "height": 90, "file_size": 1200}],
    "voice": lambda u: {"file_id": f"vo{u}", "file_unique_id": f"uvo{u}", "duration": 3,
                        "mime_type": "audio/ogg"},
    "sticker": lambda u: {"file_id": f"st{u}", "file_unique_id": f"ust{u}", "type": "regular",
                          "width": 512, "height": 512, "is_animated": False, "is_video": False},
    "video": lambda u: {"file_id": f"vi{u}", "file_unique_id": f"uvi{u}", "width": 640,
                        "height": 360, "duration": 5},
    "location": lambda u: {"latitude": 51.2194, "longitude": 4.4025},
    "contact": lambda u: {"phone_number": "+32400000000", "first_name": "Iemand"},
    "document": lambda u: {"file_id": f"do{u}", "file_unique_id": f"udo{u}",
                           "file_name": "rapport.pdf", "mime_type": "application/pdf"},
}


def _guess_chat(chat: str) -> dict[str, Any]:
    return {"id": int(chat), "type": "supergroup" if chat.startswith("-") else "private"}


def _required(params: dict[str, Any], name: str) -> str:
    if params.get(name) in (None, ""):
        raise ApiError(400, f"Bad Request: {name} is empty")
    return str(params[name])


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _check_keyboard(markup: Any) -> None:
    if not markup:
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline "
                                    "keyboard")


async def _params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and the body, decoded as the real API does."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
        return params
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            params[key] = value if isinstance(value, str) else {
                "filename": getattr(value, "filename", None)}
    for key in JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                params[key] = None
    return params


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.code)


async def _apply(fault: Fault, request: web.Request) -> web.Response:
    if fault.drop:
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)
    if fault.status == 429:
        retry_after = fault.retry_after or 1
        return _error(ApiError(429, fault.description or f"Too Many Requests: retry after "
                                                         f"{retry_after}",
                               {"retry_after": retry_after}))
    return _error(ApiError(fault.status, fault.description or {
        500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
        400: "Bad Request: chat not found", 403: "Forbidden: bot was blocked by the user",
    }.get(fault.status, "Error")))
