"""Typed settings, read once from the environment; fails fast naming the key and the value."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from bot.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Secret:
    """A secret string whose repr and str never show the value."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value (only where it is used, never for logs)."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    data_dir: Path
    content_dir: Path
    database_url: str | None = field(default=None, repr=False)
    telegram_token: Secret = field(default_factory=lambda: Secret(""))
    telegram_api_base_url: str | None = None
    rasa_url: str | None = None
    rasa_token: Secret = field(default_factory=lambda: Secret(""))
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    counsellor_chat_id: str | None = None
    networks_config: Path | None = None
    retention_days: int = 90
    nlu_timeout: float = 1.5
    nlu_dir: Path | None = None
    telegram_rate_limit: bool = True  # WEGWIJS_TELEGRAM_RATE_LIMIT=off for tests
    # a pupil's queued plain bubbles of one turn go out as one message: WEGWIJS_TELEGRAM_JOIN=off
    telegram_join: bool = True
    # local time (Europe/Brussels) in which no check-in is sent: WEGWIJS_QUIET_HOURS=21:00-08:00
    quiet_hours: tuple[time, time] = (time(21, 0), time(8, 0))
    checkins_max: int = 3  # check-ins per pupil, all in all
    web_bind: tuple[str, int] = ("127.0.0.1", 8080)  # WEGWIJS_WEB_BIND host:port
    # origins (scheme://host[:port]) that may embed the web chat (CSP frame-ancestors)
    web_embed_origins: tuple[str, ...] = ()
    # The environment as read, for the secrets a config file names by variable (the networks
    # config's smtp.password_env); never in repr.
    environment: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, data_dir: Path | None = None
    ) -> Settings:
        """Read settings from the environment (or a given mapping)."""
        env = os.environ if env is None else env
        root = data_dir or Path(env.get("WEGWIJS_DATA_DIR") or "data")
        content = Path(env.get("WEGWIJS_CONTENT_DIR") or PROJECT_ROOT / "content")
        config = env.get("WEGWIJS_NETWORKS_CONFIG")
        nlu_dir = env.get("WEGWIJS_NLU_DIR")
        return cls(
            data_dir=root,
            content_dir=content,
            database_url=env.get("DATABASE_URL") or None,
            telegram_token=Secret(env.get("TELEGRAM_BOT_TOKEN", "")),
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL") or None,
            rasa_url=(env.get("RASA_URL") or "").rstrip("/") or None,
            rasa_token=Secret(env.get("RASA_TOKEN", "")),
            secret_key=Secret(env.get("WEGWIJS_SECRET_KEY", "")),
            counsellor_chat_id=env.get("WEGWIJS_COUNSELLOR_CHAT_ID") or None,
            networks_config=Path(config) if config else None,
            retention_days=_int(env, "WEGWIJS_RETENTION_DAYS", 90, minimum=1),
            nlu_timeout=_float(env, "WEGWIJS_NLU_TIMEOUT", 1.5, minimum=0.05),
            nlu_dir=Path(nlu_dir) if nlu_dir else None,
            telegram_rate_limit=(env.get("WEGWIJS_TELEGRAM_RATE_LIMIT") or "on").lower()
            not in ("off", "0", "false", "no"),
            telegram_join=(env.get("WEGWIJS_TELEGRAM_JOIN") or "on").lower()
            not in ("off", "0", "false", "no"),
            web_bind=_bind(env, "WEGWIJS_WEB_BIND", ("127.0.0.1", 8080)),
            web_embed_origins=_origins(env, "WEGWIJS_WEB_EMBED_ORIGINS"),
            quiet_hours=_quiet_hours(env),
            checkins_max=_int(env, "WEGWIJS_CHECKINS_MAX", 3, minimum=0),
            environment=dict(env),
        )

    def ensure_secret_key(self) -> Secret:
        """The secret key from the environment, or one kept owner-only in the data dir."""
        if self.secret_key:
            if len(self.secret_key.reveal()) < 16:
                raise SettingsError("WEGWIJS_SECRET_KEY", "must be at least 16 characters")
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret.key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return Secret(path.read_text().strip())


def _bind(env: Mapping[str, str], key: str, default: tuple[str, int]) -> tuple[str, int]:
    """host:port ([::1]:8080 for IPv6); port 0 lets the system choose."""
    raw = (env.get(key) or "").strip()
    if not raw:
        return default
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise SettingsError(key, f"'{raw}' is not host:port (e.g. 127.0.0.1:8080)")
    return host.strip("[]"), int(port)


def _origins(env: Mapping[str, str], key: str) -> tuple[str, ...]:
    """Space- or comma-separated origins such as https://www.school.be."""
    found: list[str] = []
    for raw in (env.get(key) or "").replace(",", " ").split():
        origin = raw.rstrip("/")
        scheme, sep, rest = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest or any(
            c in rest for c in ";'\"\\ *"
        ):
            raise SettingsError(key, f"'{raw}' is not an origin like https://www.school.be")
        found.append(origin.lower())
    return tuple(found)


def _quiet_hours(env: Mapping[str, str]) -> tuple[time, time]:
    """'HH:MM-HH:MM' (may pass midnight); the default is 21:00-08:00."""
    raw = (env.get("WEGWIJS_QUIET_HOURS") or "21:00-08:00").strip()
    found = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", raw)
    if found is None:
        raise SettingsError("WEGWIJS_QUIET_HOURS", f"'{raw}' is not HH:MM-HH:MM (e.g. 21:00-08:00)")
    hour1, minute1, hour2, minute2 = (int(part) for part in found.groups())
    if max(hour1, hour2) > 23 or max(minute1, minute2) > 59:
        raise SettingsError("WEGWIJS_QUIET_HOURS", f"'{raw}' names a time that does not exist")
    return time(hour1, minute1), time(hour2, minute2)


def _int(env: Mapping[str, str], key: str, default: int, minimum: int) -> int:
    raw = env.get(key)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(key, f"'{raw}' is not a whole number") from None
    if value < minimum:
        raise SettingsError(key, f"{value} is below the minimum {minimum}")
    return value


def _float(env: Mapping[str, str], key: str, default: float, minimum: float) -> float:
    raw = env.get(key)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(key, f"'{raw}' is not a number") from None
    if value < minimum:
        raise SettingsError(key, f"{value} is below the minimum {minimum}")
    return value
