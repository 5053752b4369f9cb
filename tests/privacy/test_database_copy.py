"""Threat: someone obtains a copy of the database file (backup, stolen disk, careless export).
It must not reveal any pupil's words nor their Telegram user id."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App, build
from bot.settings import Settings
from tests.privacy.fixtures import RecordingSender
from tests.privacy.scenario import EMOJI_RTL, MORE, SECRETS, STORY, sensitive_conversation
from tests.privacy.support import PUPIL_ID_TELEGRAM


def _needles() -> list[bytes]:
    words = [*SECRETS, STORY, MORE, "مرحبا", "שלום", PUPIL_ID_TELEGRAM]
    needles = [w.encode("utf-8") for w in words]
    needles += [w.encode("utf-16-le") for w in SECRETS]
    needles += [w.lower().encode() for w in SECRETS]
    return needles


def _files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.iterdir() if p.name.startswith("wegwijs.db")]


def _leaks(data_dir: Path) -> list[str]:
    found = []
    for path in _files(data_dir):
        blob = path.read_bytes()
        found += [f"{needle!r} in {path.name}" for needle in _needles() if needle in blob]
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_copy_of_database_and_wal_reveals_no_pupil_words_nor_telegram_id(
    settings_env: dict[str, str],
) -> None:
    settings_env.pop("DATABASE_URL")  # the default: SQLite file in the data dir
    app: App = await build(Settings.from_env(settings_env))
    data_dir = app.settings.data_dir
    try:
        handled = await sensitive_conversation(app)
        assert any(h.messages for h in handled)
        sender = RecordingSender()
        dispatcher = app.dispatcher({"pupil": sender, "tg": sender})
        await dispatcher.deliver_due()
        assert sender.sent, "the outbox delivered nothing: the scenario is broken"
        wal = [p for p in _files(data_dir) if p.name.endswith("-wal")]
        assert wal and wal[0].stat().st_size > 0, "expected a live WAL file to inspect"
        assert _leaks(data_dir) == []
    finally:
        await app.close()
    assert _leaks(data_dir) == []
    # The check itself can fail: the same words are plainly present in a control file.
    (data_dir / "wegwijs.db.control").write_text(f"{STORY} {PUPIL_ID_TELEGRAM} {EMOJI_RTL}")
    assert len(_leaks(data_dir)) >= 3


def test_secret_key_file_is_owner_only(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path / "data")
    key = settings.ensure_secret_key()
    path = tmp_path / "data" / "secret.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert settings.ensure_secret_key().reveal() == key.reveal()  # stable across restarts
    assert len(key.reveal()) >= 32
