"""Fixtures: the real safety lexicon and content, loaded once per session; an app on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build, content_or_fail
from bot.flows.model import Content
from bot.flows.nlu import NluResult
from bot.safety.lexicon import load
from bot.safety.screen import Lexicon
from bot.settings import Settings
from tests.safety.support import ScriptedNlu

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
SETS_DIR = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    """The lexicon from content/safety.yml (fails loudly when it has problems)."""
    loaded, problems = load(CONTENT_DIR)
    assert loaded is not None, "\n".join(p.render() for p in problems)
    return loaded


@pytest.fixture(scope="session")
def loaded_content() -> Content:
    """The whole content folder (flows, texts, safety), loaded once."""
    return content_or_fail(CONTENT_DIR)


@pytest.fixture
async def app(tmp_path: Path, loaded_content: Content) -> AsyncIterator[App]:
    """The real application on SQLite; the NLU answers `out_of_scope` unless a test says else."""
    env = {
        "WEGWIJS_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        "WEGWIJS_SECRET_KEY": "safety-test-secret-0123456789",
        "WEGWIJS_COUNSELLOR_CHAT_ID": "-1001",
    }
    application = await build(Settings.from_env(env), content=loaded_content)
    application.service.nlu = ScriptedNlu(NluResult("out_of_scope", 0.9))
    try:
        yield application
    finally:
        await application.close()
