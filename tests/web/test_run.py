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
