"""Drive `wegwijs chat --jsonl` as a real subprocess, one line in, one line out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.warm_cache import seed

BIN = Path(sys.executable).parent / "wegwijs"


class JsonlBot:
    """A running `wegwijs chat --jsonl` process."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        inherited = {
            k: v
            for k, v in os.environ.items()
            if k not in {"RASA_URL", "DATABASE_URL", "WEGWIJS_DATA_DIR"}
        }
        full_env = {
            **inherited,
            "WEGWIJS_SECRET_KEY": "jsonl-test-secret-0123456789",
            **(env or {}),
        }
        seed(data_dir, full_env.get("WEGWIJS_CONTENT_DIR"))
        self.process = subprocess.Popen(
            [str(BIN), "chat", "--jsonl", "--data-dir", str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )

    def raw(self, line: bytes) -> dict[str, Any]:
        """Send one raw line and return the parsed answer line."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise AssertionError(self.stderr())
        result: dict[str, Any] = json.loads(answer)
        return result

    def send(self, **request: Any) -> dict[str, Any]:
        return self.raw(json.dumps(request).encode())

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close_pipes()

    def close(self) -> int:
        assert self.process.stdin
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        self._close_pipes()
        return code

    def stderr(self) -> str:
        assert self.process.stderr
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        text = self.process.stderr.read().decode(errors="replace")
        self._close_pipes()
        return text

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
