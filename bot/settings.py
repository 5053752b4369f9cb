"""Typed settings, read once from the environment; fails fast naming the key and the value."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
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
