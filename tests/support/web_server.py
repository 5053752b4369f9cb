"""`wegwijs run` in a subprocess, for tests that drive a real browser against it.

The server gets a scratch data dir, a free port and no Telegram or Rasa unless the caller
adds them (`env`). Stopped with SIGTERM (a clean shutdown), killed only if it hangs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.warm_cache import seed

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-key-0123456789abcdef"


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def terminate(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM and wait for a clean exit (kill after 15 s); returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


@dataclass
class WebServer:
    """A running `wegwijs run`: its base URL, data dir and log file."""

    url: str
    port: int
    data_dir: Path
    log_file: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def log(self) -> str:
        """Everything the server wrote to stderr and stdout so far."""
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def start(self, timeout: float = 60.0) -> None:
        """Start the server (again: same port, same data dir) and wait until it answers."""
        with self.log_file.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env, stdout=out,
                stderr=subprocess.STDOUT)
        _wait_healthy(self, timeout)

    def stop(self) -> None:
        """SIGTERM, then wait (kill after 15 s)."""
        if self.process is not None:
            terminate(self.process)


def _wait_healthy(server: WebServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if server.process is None or server.process.poll() is not None:
            raise RuntimeError(f"wegwijs run exited:\n{server.log()}")
        try:
            with opener.open(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"wegwijs run did not answer /healthz in {timeout} s:\n{server.log()}")


@contextmanager
def web_server(tmp: Path, env: Mapping[str, str] | None = None,
               timeout: float = 60.0) -> Iterator[WebServer]:
    """Start `wegwijs run` on a free port with a data dir under `tmp`; stop it afterwards."""
    port = free_port()
    data_dir = tmp / "data"
    log_file = tmp / "server.log"
    base = {key: value for key, value in os.environ.items()
            if key not in ("TELEGRAM_BOT_TOKEN", "RASA_URL", "DATABASE_URL")}
    full = {
        **base,
        "WEGWIJS_DATA_DIR": str(data_dir),
        "WEGWIJS_SECRET_KEY": SECRET,
        "WEGWIJS_WEB_BIND": f"127.0.0.1:{port}",
        "PTB_TIMEDELTA": "true",
        **(env or {}),
    }
    seed(full["WEGWIJS_DATA_DIR"], full.get("WEGWIJS_CONTENT_DIR"))
    server = WebServer(f"http://127.0.0.1:{port}", port, data_dir, log_file, full)
    try:
        server.start(timeout)
        yield server
    finally:
        server.stop()
