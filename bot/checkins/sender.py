"""The outbox Sender for `checkin:<pupil>`: hands the check-in to the pupil's own sender.

Check-ins have their own destination kind so that one due next week never holds back the
replies queued behind it for `pupil:<pupil>` (the outbox keeps order per destination).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.delivery.outbox import Sender


class CheckinSender:
    """Delivers `checkin:<pupil>` entries as `pupil:<pupil>` through the pupil channel."""

    def __init__(self, pupils: Sender) -> None:
        self.pupils = pupils

    async def send(
        self, destination: str, payload: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """Send through the pupil sender; its RetryLater and DeliveryRejected pass through."""
        _, _, pupil_id = destination.partition(":")
        return await self.pupils.send(f"pupil:{pupil_id}", payload)
