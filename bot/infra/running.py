"""Running Wegwijs processes announce themselves in the data dir, so an admin can signal them.

Each process holds `<data_dir>/running/<kind>-<pid>.pid` with an exclusive lock for as long as
it runs. A file whose lock can be taken belongs to a process that died (SIGKILL leaves its file
behind): it is removed and never signalled, so a reused pid never gets a signal meant for us.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER = "running"


@dataclass(frozen=True, slots=True)
class Running:
    """A live process that announced itself: what it runs, and its pid."""

    kind: str
    pid: int


@contextlib.contextmanager
def announce(data_dir: Path, kind: str) -> Iterator[Path]:
    """Hold this process's locked pid file while the block runs; remove it afterwards."""
    folder = data_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{os.getpid()}.pid"
    partial = path.with_suffix(".tmp")
    # locked before it gets its name: a reader never finds it unlocked while we live
    with partial.open("w", encoding="ascii") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        partial.rename(path)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)


def running(data_dir: Path) -> list[Running]:
    """The processes that announced themselves in this data dir and still run."""
    found: list[Running] = []
    for path in sorted((data_dir / FOLDER).glob("*.pid")):
        kind, _, pid = path.stem.rpartition("-")
        try:
            with path.open(encoding="ascii") as handle:
                if _lock_free(handle.fileno()):
                    log.info("removing the pid file of a process that ended: %s", path.name)
                    path.unlink(missing_ok=True)
                    continue
        except FileNotFoundError:  # it ended while we looked
            continue
        if pid.isdigit():
            found.append(Running(kind, int(pid)))
    return found


def signal_all(data_dir: Path, signum: int) -> list[Running]:
    """Send `signum` to every live process of this data dir; returns those signalled."""
    signalled: list[Running] = []
    for process in running(data_dir):
        try:
            os.kill(process.pid, signum)
        except ProcessLookupError:
            continue
        signalled.append(process)
    return signalled


def _lock_free(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True
