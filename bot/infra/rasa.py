"""NLU client for a Rasa server's `/model/parse`, with a timeout and a circuit breaker."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from bot.flows.nlu import Entity, NluResult

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"


class CircuitBreaker:
    """Closed -> open after `threshold` failures in a row -> half-open probe after `cooldown`."""

    def __init__(
        self,
        threshold: int = 3,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        """Return 'closed', 'open' or 'half_open'."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """Return True when a call may go through (closed, or the one half-open probe)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def success(self) -> bool:
        """Record a success; return True when this closes an open circuit."""
        recovered = self._opened_at is not None
        self._failures = 0
        self._opened_at = None
        self._probing = False
        return recovered

    def failure(self) -> bool:
        """Record a failure; return True when this opens a closed circuit."""
        self._failures += 1
        if self._opened_at is not None:
            self._opened_at = self._clock()  # failed probe: wait a full cool-down again
            self._probing = False
            return False
        if self._failures >= self.threshold:
            self._opened_at = self._clock()
            return True
        return False


class RasaNluClient:
    """`NluClient` backed by Rasa's HTTP API; returns None while Rasa is unavailable.

    aiohttp keeps the connection alive; per request it costs about a quarter of the CPU that
    httpx did (0.23 against 0.95 ms, `bench/` notes in the README), and this call is on the
    path of every free-text message.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 1.5,
        failure_threshold: int = 3,
        cooldown: float = 30.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._endpoint = url.rstrip("/") + "/model/parse"
        self._params = {"token": token} if token else None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None  # made in the running event loop
        self._breaker = breaker or CircuitBreaker(failure_threshold, cooldown)

    @property
    def available(self) -> bool:
        """Return False while the circuit is open (Rasa considered down)."""
        return self._breaker.state != "open"

    async def parse(self, text: str) -> NluResult | None:
        """Parse a pupil text; None when Rasa is down, slow or answers with an error."""
        if not self._breaker.allow():
            return None
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(
                self._endpoint, params=self._params, json={"text": text}
            ) as response:
                response.raise_for_status()
                result = to_result(json.loads(await response.read()))
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            self._record_failure(exc)
            return None
        if self._breaker.success():
            logger.info("nlu recovered: rasa answers again, leaving degraded mode")
        return result

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _record_failure(self, exc: Exception) -> None:
        # The kind of error only: never the text, never the URL (it holds the token).
        if self._breaker.failure():
            logger.warning(
                "nlu unavailable (%s): degraded mode until rasa answers again", _describe(exc)
            )
        else:
            logger.debug("nlu parse failed (%s)", _describe(exc))


def _describe(exc: Exception) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"http {exc.status}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connection refused"
    return type(exc).__name__


def to_result(payload: Mapping[str, Any]) -> NluResult:
    """Map Rasa's parse JSON to an NluResult; `nlu_fallback` becomes intent None."""
    intent = payload.get("intent") or {}
    name = intent.get("name")
    ranking = tuple(
        (str(item["name"]), float(item["confidence"]))
        for item in payload.get("intent_ranking") or ()
        if item.get("name") and item["name"] != FALLBACK_INTENT
    )
    confidence = float(intent.get("confidence") or 0.0)
    if name == FALLBACK_INTENT:
        name, confidence = None, (ranking[0][1] if ranking else 0.0)
    entities = tuple(
        Entity(str(e["entity"]), str(e["value"]), _entity_text(payload, e))
        for e in payload.get("entities") or ()
        if str(e.get("value") or "").strip()
    )
    return NluResult(name, confidence, entities, ranking)


def _entity_text(payload: Mapping[str, Any], entity: Mapping[str, Any]) -> str:
    """The text as typed (before synonym mapping), from the character offsets."""
    text = payload.get("text")
    start, end = entity.get("start"), entity.get("end")
    if isinstance(text, str) and isinstance(start, int) and isinstance(end, int):
        return text[start:end]
    return str(entity["value"])
