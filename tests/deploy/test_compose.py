"""docker-compose.yml validates offline with the real Compose v2 binary (no Docker engine here)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import compose

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(compose.__file__).parent / "docker-compose"
ENV = {
    "TELEGRAM_BOT_TOKEN": "123:abc",
    "RASA_TOKEN": "r",
    "POSTGRES_PASSWORD": "p",
    "WEGWIJS_SECRET_KEY": "s" * 32,
    "PATH": "/usr/bin:/bin",
}


def config(*args: str, env: dict[str, str] = ENV) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BINARY), "-f", str(ROOT / "docker-compose.yml"), "config", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def test_compose_file_is_valid() -> None:
    result = config("-q")
    assert result.returncode == 0, result.stderr


def test_compose_has_bot_rasa_and_postgres_with_official_rasa_image() -> None:
    result = config("--format", "json")
    assert result.returncode == 0, result.stderr
    assert '"rasa/rasa:3.6.21-full"' in result.stdout
    assert "postgresql+asyncpg://" in result.stdout
    assert '"postgres:15"' in result.stdout


def test_compose_refuses_to_start_without_secrets() -> None:
    result = config("-q", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    required = ("TELEGRAM_BOT_TOKEN", "POSTGRES_PASSWORD", "RASA_TOKEN", "WEGWIJS_SECRET_KEY")
    assert any(name in result.stderr for name in required)  # compose names the first it meets


def test_dockerfile_installs_pinned_and_runs_unprivileged() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "-c constraints.txt" in text
    assert "USER wegwijs" in text
