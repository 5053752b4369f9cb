"""pytest plugin: a real Rasa NLU server for the whole test session (trains or reuses the model).

Use the `rasa_server` fixture (session-scoped): `rasa_server.url`, `rasa_server.token`.
For a server a test may stop and restart, use `rasa_model` with `bot.nlu_tools.server.RasaServer`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.nlu_tools.project import NluError, NluProject
from bot.nlu_tools.server import RasaServer
from bot.nlu_tools.train import train


@pytest.fixture(scope="session")
def nlu_project() -> NluProject:
    """The Rasa project of this repository."""
    return NluProject.locate()


@pytest.fixture(scope="session")
def rasa_model(nlu_project: NluProject) -> Path:
    """The trained model for the current data (trained once when missing, about a minute)."""
    try:
        return train(nlu_project)
    except NluError as exc:
        pytest.fail(f"cannot train the NLU model: {exc}\n(run 'make nlu-setup' first)")


@pytest.fixture(scope="session")
def rasa_server(nlu_project: NluProject, rasa_model: Path) -> Iterator[RasaServer]:
    """A Rasa server on 127.0.0.1 with the API and a token, ready to parse."""
    server = RasaServer(nlu_project, rasa_model)
    server.start()
    try:
        server.wait_ready()
    except NluError as exc:
        server.close()
        pytest.fail(f"rasa did not start: {exc}")
    try:
        yield server
    finally:
        server.close()
