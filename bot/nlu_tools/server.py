"""Run a Rasa NLU server on loopback with its HTTP API and a token, and stop it again."""

from __future__ import annotations

import secrets
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from bot.nlu_tools.project import NluError, NluProject, rasa_env

DEFAULT_PORT = 5005
HOST = "127.0.0.1"


def free_port(preferred: int | None = None) -> int:
    """Return `preferred` when it is free on loopback, else any free port."""
    if preferred:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, preferred))
            except OSError:
                pass
            else:
                return preferred
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def new_token() -> str:
    """A random token for Rasa's `--auth-token`."""
    return secrets.token_urlsafe(24)


class RasaServer:
    """A `rasa run --enable-api` process bound to 127.0.0.1 (sync context manager)."""

    def __init__(
        self, project: NluProject, model: Path, *, port: int | None = None, token: str | None = None
    ) -> None:
        self.project = project
        self.model = model
        self.port = port or free_port()
        self.token = token or new_token()
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="rasa-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. http://127.0.0.1:5005."""
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """True while the Rasa process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the Rasa process (returns at once; call `wait_ready`)."""
        command = [
            str(self.project.rasa()),
            "run",
            "--enable-api",
            # one argument with "=": a token may start with "-" (token_urlsafe), which argparse
            # would otherwise read as an option ("expected one argument")
            f"--auth-token={self.token}",
            "--interface",
            HOST,
            "--port",
            str(self.port),
            "--model",
            str(self.model),
        ]
        self._process = subprocess.Popen(  # noqa: S603 (fixed argv)
            command,
            cwd=self.project.root,
            env=rasa_env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Poll `/status` until the model is loaded; return the seconds it took."""
        started = time.monotonic()
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() - started < timeout:
                if not self.running:
                    raise NluError(f"rasa stopped while starting:\n{self.log_tail()}")
                try:
                    response = client.get(f"{self.url}/status", params={"token": self.token})
                    if response.status_code == 200 and response.json().get("model_file"):
                        return time.monotonic() - started
                except (httpx.HTTPError, ValueError):
                    pass
                time.sleep(0.5)
        self.stop()
        raise NluError(f"rasa was not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the process: SIGTERM, then SIGKILL after `timeout` seconds."""
        process, self._process = self._process, None
        terminate(process, timeout)

    def wait(self) -> int:
        """Block until the Rasa process exits; return its exit code."""
        return self._process.wait() if self._process is not None else 0

    def log_tail(self, lines: int = 20) -> str:
        """The last lines Rasa wrote (its startup log; no pupil text at INFO level)."""
        text = Path(self._log.name).read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        """Stop the server and remove its log file."""
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> RasaServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def terminate(process: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    """SIGTERM a child process still running, then SIGKILL after `timeout` seconds."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
