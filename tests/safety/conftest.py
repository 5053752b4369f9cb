"""Fixtures: the real safety lexicon, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety.lexicon import load
from bot.safety.screen import Lexicon

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
SETS_DIR = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    """The lexicon from content/safety.yml (fails loudly when it has problems)."""
    loaded, problems = load(CONTENT_DIR)
    assert loaded is not None, "\n".join(p.render() for p in problems)
    return loaded
