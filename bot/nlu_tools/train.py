"""Train the Rasa NLU model, unless a model for the current training inputs exists."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, cast

from bot.nlu_tools.project import MODEL_PREFIX, NluError, NluProject, rasa_env

Report = Callable[[str], None]
_COMPONENT = re.compile(r"Starting to train component '(\w+)'")
_EPOCH = re.compile(r"Epochs:\s+\d+%.*?\|\s*(\d+)/(\d+)")
KEEP_MODELS = 3


def say(message: str) -> None:
    """Default progress reporter: one line on stderr."""
    print(message, file=sys.stderr, flush=True)


def train(
    project: NluProject,
    *,
    force: bool = False,
    report: Report = say,
    data: Path | None = None,
    out: Path | None = None,
    name: str | None = None,
) -> Path:
    """Return the model for the current inputs, training it first when needed."""
    fingerprint = project.fingerprint()
    model = project.model_for(fingerprint) if out is None else out / f"{name}.tar.gz"
    if model.exists() and not force:
        report(f"nlu: model is up to date ({model.name}); training skipped")
        return model
    rasa = project.rasa()
    model.parent.mkdir(parents=True, exist_ok=True)
    report(f"nlu: training {model.name} (about 1 minute on 2 cores)")
    command = [
        str(rasa),
        "train",
        "nlu",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--nlu",
        str(data or project.root / "data"),
        "--out",
        str(model.parent),
        "--fixed-model-name",
        model.name.removesuffix(".tar.gz"),
    ]
    _run_with_progress(command, project.root, report)
    if not model.exists():
        raise NluError(f"rasa finished but {model} was not written")
    if out is None:
        _prune(project)
        (project.root / ".fingerprint").write_text(fingerprint + "\n", encoding="utf-8")
    report(f"nlu: model ready: {model}")
    return model


def _run_with_progress(command: list[str], cwd: Path, report: Report) -> None:
    """Run a Rasa command, turning its output into short progress lines."""
    tail: deque[str] = deque(maxlen=30)
    with subprocess.Popen(  # noqa: S603 (fixed argv: the project's rasa)
        command,
        cwd=cwd,
        env=rasa_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as process:
        assert process.stdout is not None
        last = ""
        for line in _lines(process.stdout):
            tail.append(line)
            progress = _progress(line)
            if progress and progress != last:
                report(progress)
                last = progress
        code = process.wait()
    if code != 0:
        detail = "\n".join(list(tail)[-15:])
        raise NluError(f"rasa exited with code {code}:\n{detail}")


def _lines(stream: IO[bytes]) -> Iterator[str]:
    """Split output on newlines and on the carriage returns of progress bars."""
    reader = cast(io.BufferedReader, stream)
    buffer = b""
    while chunk := reader.read1(4096):
        buffer += chunk
        *complete, buffer = re.split(rb"[\r\n]", buffer)
        for raw in complete:
            if raw.strip():
                yield raw.decode("utf-8", "replace")
    if buffer.strip():
        yield buffer.decode("utf-8", "replace")


def _progress(line: str) -> str | None:
    """A progress line for a component start or every tenth epoch, else None."""
    component = _COMPONENT.search(line)
    if component:
        return f"nlu:   {component.group(1)}"
    epoch = _EPOCH.search(line)
    if epoch:
        done, total = int(epoch.group(1)), int(epoch.group(2))
        if done == total or done % 10 == 0:
            return f"nlu:   DIETClassifier epoch {done}/{total}"
    return None


def _prune(project: NluProject) -> None:
    """Keep only the newest few models."""
    models = sorted(
        project.models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in models[KEEP_MODELS:]:
        old.unlink(missing_ok=True)
