"""Fixtures shared by the privacy, fault, security and storage tests (imported by conftests)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.privacy.support import SECRET, hardened_content


@pytest.fixture(scope="session")
def hardened_content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real content plus the test-only free-text flows (built once per session)."""
    return hardened_content(tmp_path_factory.mktemp("content"))


@pytest.fixture
def settings_env(tmp_path: Path, database_url: str, hardened_content_dir: Path) -> dict[str, str]:
    """Environment for a test application on the hardened content (no Telegram, no Rasa)."""
    return {
        "WEGWIJS_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "WEGWIJS_SECRET_KEY": SECRET,
        "WEGWIJS_COUNSELLOR_CHAT_ID": "-1001",
        "WEGWIJS_CONTENT_DIR": str(hardened_content_dir),
    }


class RecordingSender:
    """An outbox Sender (our own protocol) that records what it delivered."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send(self, destination: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        self.sent.append((destination, dict(payload)))
        return {"message_id": len(self.sent)}
