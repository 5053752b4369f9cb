"""The Bot API transport on aiohttp (bot/channels/telegram_http.py) over real HTTP: calls,
their errors (no token in them), timeouts, and multipart uploads."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram_http import AiohttpRequest
from tests.support.fake_bot_api import FakeBotApi
from tests.support.local_http import serving


async def test_a_bot_on_the_transport_sends_and_reads_through_the_bot_api(
        api: FakeBotApi) -> None:
    async with Bot(api.token, base_url=api.base_url, request=AiohttpRequest(),
                   get_updates_request=AiohttpRequest(pool_size=1)) as bot:
        message = await bot.send_message(5100, "Hoi 👋", reply_markup=None)
        assert message.text == "Hoi 👋"
    assert api.texts(5100) == ["Hoi 👋"]


async def test_an_unreachable_api_is_a_network_error_that_does_not_name_the_token() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = "123456:SECRET-token-value"
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.do_request(f"http://127.0.0.1:{port}/bot{token}/getMe", "POST")
    finally:
        await request.shutdown()
    assert "SECRET" not in str(raised.value)


@pytest.fixture
async def slow_server() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """Answers /slow after a second, and records the form of /upload."""
    forms: list[dict[str, str]] = []

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.json_response({"ok": True, "result": True})

    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        forms.append({name: (value if isinstance(value, str) else
                             f"{value.filename}:{value.file.read().decode()}")
                      for name, value in form.items()})
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/slow", slow)
    app.router.add_post("/upload", upload)
    async with serving(app) as url:
        yield url, forms


async def test_a_slow_answer_times_out(slow_server: tuple[str, list[dict[str, str]]]) -> None:
    url, _ = slow_server
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{url}/slow", "POST")
        status, body = await request.do_request(f"{url}/slow", "POST", read_timeout=3.0)
    finally:
        await request.shutdown()
    assert status == 200 and json.loads(body)["ok"] is True


async def test_files_go_as_multipart_with_the_other_parameters(
        slow_server: tuple[str, list[dict[str, str]]]) -> None:
    url, forms = slow_server
    data = RequestData([
        RequestParameter.from_input("chat_id", 5100),
        RequestParameter.from_input("document", InputFile(b"inhoud", filename="info.txt")),
    ])
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, _ = await request.do_request(f"{url}/upload", "POST", data)
    finally:
        await request.shutdown()
    assert status == 200
    assert forms == [{"chat_id": "5100", "document": "info.txt:inhoud"}]


async def test_a_proxy_named_in_the_environment_carries_the_calls(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY is honoured (as python-telegram-bot's httpx transport does), read once per
    host; NO_PROXY keeps a host direct."""
    seen: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        seen.append(f"{request.host}{request.path}")
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    async with serving(app) as proxy:
        for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        request = AiohttpRequest()
        await request.initialize()
        try:
            status, _ = await request.do_request("http://api.telegram.invalid/botT/getMe", "POST")
            direct, _ = await request.do_request(f"{proxy}/botT/getMe", "POST")
        finally:
            await request.shutdown()
    assert (status, direct) == (200, 200)
    assert seen == ["api.telegram.invalid/botT/getMe", f"{proxy.removeprefix('http://')}/botT/getMe"]
