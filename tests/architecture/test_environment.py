"""Every environment variable is read in one place: bot/settings.py (Settings.from_env)."""

from __future__ import annotations

from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
READS = ("os.environ.get(", "os.environ[", "os.getenv(", "os.environ.setdefault(", "os.putenv(")


def test_only_the_settings_read_or_change_the_environment() -> None:
    found = [
        f"{path.relative_to(BOT.parent)}: {read}"
        for path in sorted(BOT.rglob("*.py"))
        if path.name != "settings.py"
        for read in READS
        if read in path.read_text(encoding="utf-8")
    ]
    assert found == []
