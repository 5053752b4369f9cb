"""The plain Rasa Core peer of the Telegram bench: train it, serve it, drive it.

The peer is an ordinary Rasa assistant (this folder: config.yml with the NLU pipeline of
nlu/config.yml plus Rasa's RulePolicy and MemoizationPolicy, domain.yml with nlu/'s intents and
one placeholder response each, data/rules.yml) trained on nlu/data, served by `rasa run` with
the REST channel. The bench sends it the same messages at the same rate as the bot and takes the
time to the HTTP response, which carries the reply.

Training is skipped when a model for the same inputs exists: the model's name carries a hash of
nlu/'s training inputs and this folder's files (models/, git-ignored).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from bot.nlu_tools.project import NluError, NluProject, rasa_env
from bot.nlu_tools.server import HOST, free_port, terminate

HERE = Path(__file__).resolve().parent
PEER_INPUTS = ("config.yml", "domain.yml")
MODEL_PREFIX = "peer-"
KEEP_MODELS = 2
WEBHOOK = "/webhooks/rest/webhook"
_COMPONENT = re.compile(r"Starting to train component '(\w+)'")

Report = Callable[[str], None]
Message = tuple[int, str]  # (pupil id, text)


def say(message: str) -> None:
    """Progress on stderr, one line."""
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class PeerProject:
    """This folder next to the NLU project whose pipeline, data and components it reuses."""

    nlu: NluProject
    root: Path = HERE

    @classmethod
    def locate(cls) -> PeerProject:
        """The peer of this repository's nlu/."""
        return cls(NluProject.locate(HERE.parents[1] / "nlu"))

    @property
    def models_dir(self) -> Path:
        """Where trained peer models are kept (git-ignored)."""
        return self.root / "models"

    def training_files(self) -> list[Path]:
        """Every file whose content decides the peer model: nlu/'s inputs and the peer's own."""
        files = self.nlu.training_files()
        files += [self.root / name for name in PEER_INPUTS]
        files += sorted((self.root / "data").rglob("*.yml"))
        return files

    def fingerprint(self) -> str:
        """A hash of every training input (paths relative to the repository, and contents)."""
        base = self.nlu.root.parent
        digest = hashlib.sha256()
        for path in self.training_files():
            digest.update(path.relative_to(base).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes() if path.exists() else b"<missing>")
            digest.update(b"\0")
        return digest.hexdigest()[:16]

    def model(self) -> Path:
        """The model file the current inputs produce."""
        return self.models_dir / f"{MODEL_PREFIX}{self.fingerprint()}.tar.gz"

    def train(self, report: Report = say) -> Path:
        """Return the model for the current inputs, training it first when needed."""
        model = self.model()
        if model.exists():
            report(f"peer: model is up to date ({model.name}); training skipped")
            return model
        report(f"peer: training {model.name} (about 30 s on 2 cores, once per change of nlu/)")
        started = time.monotonic()
        command = [
            str(self.nlu.rasa()), "train",
            "--config", str(self.root / "config.yml"),
            "--domain", str(self.root / "domain.yml"),
            "--data", str(self.nlu.root / "data"), str(self.root / "data"),
            "--out", str(self.models_dir),
            "--fixed-model-name", model.name.removesuffix(".tar.gz"),
        ]
        _run(command, self.nlu.root, report)
        if not model.exists():
            raise NluError(f"rasa finished but {model} was not written")
        self._prune()
        report(f"peer: model ready in {time.monotonic() - started:.0f} s: {model}")
        return model

    def _prune(self) -> None:
        models = sorted(self.models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for old in models[KEEP_MODELS:]:
            old.unlink(missing_ok=True)


def _run(command: list[str], cwd: Path, report: Report) -> None:
    """Run `rasa train` in nlu/ (Rasa imports the intent classifier from there), with progress."""
    tail: deque[str] = deque(maxlen=20)
    with subprocess.Popen(command, cwd=cwd, env=_env(cwd), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace") as process:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip())
            if component := _COMPONENT.search(line):
                report(f"peer:   {component.group(1)}")
        code = process.wait()
    if code != 0:
        raise NluError(f"rasa train exited with code {code}:\n" + "\n".join(tail))


def _env(nlu_root: Path) -> dict[str, str]:
    return rasa_env({"PYTHONPATH": str(nlu_root)})


class PeerServer:
    """`rasa run` of the peer model with the REST channel on loopback (sync context manager)."""

    def __init__(self, project: PeerProject, model: Path) -> None:
        self.project = project
        self.model = model
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:5006."""
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 180.0) -> float:
        """Start `rasa run` and wait until it answers a message; return the seconds it took."""
        started = time.monotonic()
        command = [
            str(self.project.nlu.rasa()), "run",
            "--interface", HOST, "--port", str(self.port),
            "--credentials", str(self.project.root / "credentials.yml"),
            "--model", str(self.model),
        ]
        self.process = subprocess.Popen(
            command, cwd=self.project.nlu.root, env=_env(self.project.nlu.root),
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            while time.monotonic() - started < timeout:
                if self.process.poll() is not None:
                    raise NluError(f"the peer's rasa stopped while starting:\n{self.log_tail()}")
                try:
                    if client.post(WEBHOOK, json={"sender": "warm-up", "message": "hallo"}).json():
                        return time.monotonic() - started
                except (httpx.HTTPError, ValueError):
                    pass
                time.sleep(0.5)
        raise NluError(f"the peer's rasa was not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines `rasa run` wrote."""
        self._log.seek(0)
        text = self._log.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def close(self, timeout: float = 15.0) -> None:
        """SIGTERM (SIGKILL after `timeout` s) and release the log."""
        process, self.process = self.process, None
        terminate(process, timeout)
        self._log.close()

    def __enter__(self) -> PeerServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class PeerRun:
    """What one open-loop run against the peer measured."""

    latencies: list[float]  # ms from sending a message to its HTTP response, answered ones
    failed: int  # errors and empty replies
    elapsed: float  # seconds the sending took


def drive(url: str, messages: Sequence[Message], rate: float) -> PeerRun:
    """Send `messages` open loop at `rate` per second (never waiting for a reply to send the
    next one) to the peer's REST channel; time each HTTP response."""
    return asyncio.run(_drive(url, messages, rate))


async def _drive(url: str, messages: Sequence[Message], rate: float) -> PeerRun:
    latencies: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:

        async def send(pupil: int, text: str) -> None:
            nonlocal failed
            start = time.monotonic()
            try:
                response = await client.post(WEBHOOK, json={"sender": str(pupil), "message": text})
                replies = response.json() if response.status_code == 200 else []
            except (httpx.HTTPError, ValueError):
                replies = []
            if replies:
                latencies.append((time.monotonic() - start) * 1000)
            else:
                failed += 1

        tasks = []
        start = time.monotonic()
        for index, (pupil, text) in enumerate(messages):
            await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
            tasks.append(asyncio.create_task(send(pupil, text)))
        elapsed = time.monotonic() - start
        await asyncio.gather(*tasks)
    return PeerRun(latencies, failed, elapsed)


def warm_up(url: str, pupils: Sequence[int], text: str) -> None:
    """Every pupil sends one message first (not measured), as in the bot's part of the bench."""
    asyncio.run(_drive(url, [(pupil, text) for pupil in pupils], rate=100.0))
