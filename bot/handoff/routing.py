"""Where counsellor notifications go, who may act on cases, and when to remind: read from the
networks config file (`WEGWIJS_NETWORKS_CONFIG`, see config/networks.example.yml)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.catalog.networks import NETWORK_IDS
from bot.errors import SettingsError
from bot.infra.smtp import SmtpConfig
from bot.settings import Secret

KEY = "WEGWIJS_NETWORKS_CONFIG"
_CHAT = re.compile(r"^-?\d{1,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Counsellor:
    """A counsellor on the allow-list: Telegram user id, first name and role (a content key)."""

    telegram_id: str
    first_name: str
    role: str = "default"
    username: str | None = None


@dataclass(frozen=True)
class Routing:
    """Counsellor destinations per network with a default, the allow-list and the timing."""

    default: str | None
    per_network: Mapping[str, str] = field(default_factory=dict)
    emails: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    counsellors: Mapping[str, Counsellor] = field(default_factory=dict)
    claim_timeout: timedelta = timedelta(minutes=30)
    reminder_every: timedelta = timedelta(minutes=30)
    continuity: timedelta = timedelta(minutes=15)
    smtp: SmtpConfig | None = None

    def chat(self, network: str | None) -> str | None:
        """The counsellor Telegram chat of a network, or the default chat."""
        return self.per_network.get(network or "") or self.default

    def destination(self, network: str | None) -> str | None:
        """The counsellor destination for a network (e.g. 'tg:-100123'), or the default."""
        chat = self.chat(network)
        return f"tg:{chat}" if chat else None

    def email_destinations(self, network: str | None) -> tuple[str, ...]:
        """Outbox destinations for e-mail about a case of this network ('email:<address>')."""
        if self.smtp is None:
            return ()
        addresses = self.emails.get(network or "") or self.emails.get("default", ())
        return tuple(f"email:{a}" for a in addresses)

    def chats(self) -> set[str]:
        """Every configured counsellor chat."""
        return {c for c in (self.default, *self.per_network.values()) if c}

    def allows(self, user_id: str) -> bool:
        """True when this Telegram user may act on cases (no allow-list: every chat member)."""
        return not self.counsellors or user_id in self.counsellors


def load_routing(
    path: Path | None, default_chat: str | None, env: Mapping[str, str] | None = None
) -> Routing:
    """Read the networks config; `default_chat` (WEGWIJS_COUNSELLOR_CHAT_ID) wins over its own.

    `env` holds the secrets the file names by variable (`Settings.environment`).
    """
    if path is None:
        return Routing(default_chat)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(KEY, f"cannot read {path}: {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise SettingsError(KEY, f"{path} must hold a mapping")
    per_network, emails = _networks(data)
    default = data.get("default") or {}
    default_chat = default_chat or _chat(default.get("telegram_chat_id"), "default")
    if default.get("email"):
        emails["default"] = _emails(default["email"], "default")
    timing = data.get("timing") or {}
    return Routing(
        default_chat,
        per_network,
        emails,
        _counsellors(data.get("counsellors") or []),
        claim_timeout=_minutes(timing, "claim_timeout_minutes", 30),
        reminder_every=_minutes(timing, "reminder_every_minutes", 30),
        continuity=_minutes(timing, "continuity_minutes", 15, minimum=0),
        smtp=_smtp(data.get("smtp"), env or {}),
    )


def _networks(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    per_network: dict[str, str] = {}
    emails: dict[str, tuple[str, ...]] = {}
    for network, spec in (data.get("networks") or {}).items():
        if network not in NETWORK_IDS:
            raise SettingsError(
                KEY, f"unknown network '{network}'; use one of " + ", ".join(NETWORK_IDS)
            )
        spec = spec or {}
        chat = _chat(spec.get("telegram_chat_id"), network)
        if chat:
            per_network[str(network)] = chat
        if spec.get("email"):
            emails[str(network)] = _emails(spec["email"], network)
    return per_network, emails


def _chat(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    chat = str(value).strip()
    if not _CHAT.match(chat):
        raise SettingsError(KEY, f"{where}: telegram_chat_id '{chat}' is not a chat id")
    return chat


def _emails(value: Any, where: str) -> tuple[str, ...]:
    addresses = [value] if isinstance(value, str) else list(value or ())
    for address in addresses:
        if not _EMAIL.match(str(address)):
            raise SettingsError(KEY, f"{where}: '{address}' is not an e-mail address")
    return tuple(str(a) for a in addresses)


def _counsellors(entries: list[Any]) -> dict[str, Counsellor]:
    result = {}
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or not entry.get("telegram_id")
            or not entry.get("first_name")
        ):
            raise SettingsError(KEY, "every counsellor needs telegram_id and first_name")
        user = str(entry["telegram_id"]).strip()
        result[user] = Counsellor(
            user,
            str(entry["first_name"]).split()[0],
            str(entry.get("role") or "default"),
            str(entry["username"]) if entry.get("username") else None,
        )
    return result


def _minutes(timing: Mapping[str, Any], key: str, default: int, minimum: int = 1) -> timedelta:
    value = timing.get(key, default)
    if not isinstance(value, int | float) or value < minimum:
        raise SettingsError(KEY, f"timing.{key} must be a number of minutes >= {minimum}")
    return timedelta(minutes=float(value))


def _smtp(spec: Any, env: Mapping[str, str]) -> SmtpConfig | None:
    if not spec:
        return None
    if not isinstance(spec, dict) or not spec.get("host") or not spec.get("from"):
        raise SettingsError(KEY, "smtp needs at least host and from")
    password_env = spec.get("password_env")
    return SmtpConfig(
        host=str(spec["host"]),
        sender=str(spec["from"]),
        port=int(spec.get("port", 25)),
        starttls=bool(spec.get("starttls", False)),
        username=str(spec["username"]) if spec.get("username") else None,
        password=Secret(env.get(str(password_env), "") if password_env else ""),
        timeout=float(spec.get("timeout_seconds", 10)),
    )
