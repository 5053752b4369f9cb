"""`wegwijs run` without a Telegram token: the web chat alone; a taken port is named."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.support.web_server import ROOT, web_server

pytestmark = pytest.mark.slow


def test_run_without_a_token_serves_the_web_chat(tmp_path: Path) -> None:
    with web_server(tmp_path) as server:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{server.url}/") as response:
            page = response.read().decode()
        assert 'src="/static/chat.js"' in page
    log = server.log()
    assert f"web chat at {server.url}/" in log
    assert "no TELEGRAM_BOT_TOKEN: the web chat only" in log
    assert "Traceback" not in log
    assert server.process is not None and server.process.returncode == 0  # SIGTERM: clean stop


def test_a_taken_port_stops_run_naming_the_setting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, capture_output=True, text=True,
            timeout=120, env={"PATH": "/usr/bin:/bin", "WEGWIJS_DATA_DIR": str(tmp_path),
                              "WEGWIJS_WEB_BIND": f"127.0.0.1:{port}"})
    assert result.returncode == 1
    assert "WEGWIJS_WEB_BIND" in result.stderr and str(port) in result.stderr


async def test_stopping_run_closes_an_open_chat_going_away(tmp_path: Path) -> None:
    """SIGTERM with a pupil's chat open: the socket is closed with 1001 (the page reconnects to
    the next server), not left for the server's shutdown timeout to cut."""
    import asyncio

    import aiohttp

    with web_server(tmp_path) as server:
        async with (aiohttp.ClientSession() as http,
                    http.ws_connect(f"{server.url.replace('http', 'ws')}/ws",
                                    origin=server.url) as ws):
            await ws.send_json({"type": "hello"})
            assert (await ws.receive_json(timeout=10))["type"] == "session"
            assert server.process is not None
            stopping = asyncio.get_running_loop().run_in_executor(None, server.stop)
            while True:
                message = await ws.receive(timeout=15)
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
            await stopping
        assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
    assert server.process.returncode == 0
