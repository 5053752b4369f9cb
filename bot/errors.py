"""Typed errors of Wegwijs.

WegwijsError
 ├── SettingsError          a setting is missing or has a bad value
 ├── ContentError           content/ does not validate (carries the full list of problems)
 ├── StoreError             the database cannot be reached or migrated
 └── DeliveryError          a message could not be delivered
      ├── RetryLater        temporary: try again after `retry_after` seconds
      └── DeliveryRejected  permanent: the destination refuses this message
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.flows.problems import Problem


class WegwijsError(Exception):
    """Root of all errors raised on purpose by Wegwijs."""


class SettingsError(WegwijsError):
    """A setting from the environment is missing or invalid."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"setting {key}: {reason}")
        self.key = key
        self.reason = reason


class ContentError(WegwijsError):
    """The content does not validate; `problems` holds every finding."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"content has {len(errors)} error(s)")
        self.problems = tuple(problems)


class StoreError(WegwijsError):
    """The database is unavailable or could not be migrated."""


class DeliveryError(WegwijsError):
    """A message could not be delivered to its destination."""


class RetryLater(DeliveryError):
    """Temporary failure; the outbox retries after `retry_after` seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class DeliveryRejected(DeliveryError):
    """Permanent failure; retrying will not help."""
