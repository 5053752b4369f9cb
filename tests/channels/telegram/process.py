"""`wegwijs run` as a real subprocess, for the tests and the benchmark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.fake_bot_api import FakeBotApi
from tests.support.warm_cache import seed
from tests.support.web_server import free_port, terminate

BIN = Path(sys.executable).parent / "wegwijs"
_DROPPED = {"RASA_URL", "DATABASE_URL", "WEGWIJS_DATA_DIR", "WEGWIJS_CONTENT_DIR",
            "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "WEGWIJS_COUNSELLOR_CHAT_ID",
            "WEGWIJS_WEB_BIND"}


class BotProcess:
    """A running `wegwijs run`; `start()` returns once it polls (or has set its webhook).

    `wegwijs run` always serves the web chat too: each process gets its own free port for it
    (`WEGWIJS_WEB_BIND`) unless `env` names one, so no test binds 8080 or a port of another.
    """

    def __init__(self, api: FakeBotApi, env: dict[str, str], *args: str) -> None:
        self.api = api
        self.env = {**{k: v for k, v in os.environ.items() if k not in _DROPPED},
                    "WEGWIJS_WEB_BIND": f"127.0.0.1:{free_port()}", **env}
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)

    def start(self, timeout: float = 30.0) -> BotProcess:
        """Start the process and wait until it listens for updates."""
        seen = len(self.api.calls)
        webhook = "--webhook-url" in self.args
        if "WEGWIJS_DATA_DIR" in self.env and "--data-dir" not in self.args:
            seed(self.env["WEGWIJS_DATA_DIR"], self.env.get("WEGWIJS_CONTENT_DIR"))
        self.process = subprocess.Popen([str(BIN), "run", *self.args], env=self.env,
                                        stdout=self._log, stderr=self._log)

        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"bot exited with {self.process.returncode}:\n{self.log()}")
            wanted = "setWebhook" if webhook else "getUpdates"
            return any(c.method == wanted for c in self.api.calls[seen:])

        self.api.wait_for(ready, timeout)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown at all, as in a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM and wait for a clean exit; returns the exit code."""
        assert self.process is not None
        return terminate(self.process)

    def close(self) -> None:
        """Stop the process (if running) and release its log file."""
        if self.process is not None:
            self.stop()
        self._log.close()

    def log(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")
