"""`wegwijs counsellor add|disable|reset` through the real command line entry point."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pyotp
import pytest

from bot.cli import main


def _run(monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["counsellor", *args])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WEGWIJS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WEGWIJS_SECRET_KEY", "cli-test-secret-0123456789abcdef")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def test_add_prints_the_totp_secret_once_and_refuses_a_second_add(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["add", "lotte", "--name", "Lotte Janssens", "--network", "limburg"]
    assert _run(monkeypatch, [*args, "--password-stdin"], "een lang wachtwoord\n") == 0
    out = capsys.readouterr().out
    secret = re.search(r"totp-secret: (\w+)", out)
    assert secret is not None and "otpauth://totp/" in out
    assert pyotp.TOTP(secret.group(1)).now().isdigit()
    assert _run(monkeypatch, [*args, "--password-stdin"], "een lang wachtwoord\n") == 1
    assert "exists already" in capsys.readouterr().err


def test_add_refuses_a_short_password_and_an_unknown_network(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["add", "lotte", "--name", "Lotte", "--password-stdin"]
    assert _run(monkeypatch, [*base, "--network", "limburg"], "kort\n") == 1
    assert "at least 12" in capsys.readouterr().err
    assert _run(monkeypatch, [*base, "--network", "gent"], "een lang wachtwoord\n") == 1
    assert "unknown network" in capsys.readouterr().err


def test_disable_and_reset(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["add", "koen", "--name", "Koen", "--role", "coordinator", "--network", "limburg"]
    assert _run(monkeypatch, [*add, "--password-stdin"], "een lang wachtwoord\n") == 0
    first = capsys.readouterr().out
    assert _run(monkeypatch, ["disable", "koen"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert (
        _run(monkeypatch, ["reset", "koen", "--password-stdin"], "nog een lang wachtwoord\n") == 0
    )
    second = capsys.readouterr().out
    assert "totp-secret:" in second and second != first, "a reset gives a new TOTP secret"
    assert _run(monkeypatch, ["disable", "nobody"]) == 1
