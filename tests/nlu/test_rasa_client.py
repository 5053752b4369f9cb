"""The Rasa NLU client against a small real HTTP server on 127.0.0.1: happy and fault paths."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.infra.rasa import CircuitBreaker, RasaNluClient, to_result
from tests.support.local_http import serving

TOKEN = "s3cret-token"
PUPIL_TEXT = "ik woon in borgerhout en ik wil stoppen"

PARSE_REPLY: dict[str, Any] = {
    "text": PUPIL_TEXT,
    "intent": {"name": "inform_location", "confidence": 0.91},
    "entities": [
        {
            "entity": "municipality",
            "start": 11,
            "end": 21,
            "value": "Antwerpen",
            "extractor": "DIETClassifier",
            "processors": ["EntitySynonymMapper"],
        },
    ],
    "intent_ranking": [
        {"name": "inform_location", "confidence": 0.91},
        {"name": "want_to_quit_school", "confidence": 0.07},
    ],
}


@dataclass
class FakeRasa:
    """What the fake server does next, and what it saw."""

    mode: str = "ok"
    delay: float = 0.0
    requests: int = 0
    tokens: list[str | None] = field(default_factory=list)


class Clock:
    """A clock the test moves by hand, for the breaker's cool-down."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    state = FakeRasa()

    async def parse(request: web.Request) -> web.Response:
        state.requests += 1
        state.tokens.append(request.query.get("token"))
        body = await request.json()
        if state.delay:
            await asyncio.sleep(state.delay)
        if state.mode == "error":
            return web.json_response({"error": "boom"}, status=500)
        if state.mode == "garbage":
            return web.Response(text="<html>not json</html>")
        return web.json_response({**PARSE_REPLY, "text": body["text"]})

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    async with serving(app) as url:
        yield state, url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client_for(url: str, clock: Clock | None = None, timeout: float = 0.3) -> RasaNluClient:
    breaker = CircuitBreaker(threshold=3, cooldown=30.0, clock=clock or Clock())
    return RasaNluClient(url, TOKEN, timeout=timeout, breaker=breaker)


async def test_parse_maps_intent_entities_synonym_and_ranking(rasa: tuple[FakeRasa, str]) -> None:
    state, url = rasa
    client = client_for(url)
    result = await client.parse(PUPIL_TEXT)
    await client.aclose()
    assert result is not None
    assert result.intent == "inform_location"
    assert result.confidence == pytest.approx(0.91)
    assert result.entity("municipality") == "Antwerpen"
    assert result.entities[0].text == "borgerhout"
    assert result.score("want_to_quit_school") == pytest.approx(0.07)
    assert state.tokens == [TOKEN]


async def test_server_error_gives_none(rasa: tuple[FakeRasa, str]) -> None:
    state, url = rasa
    state.mode = "error"
    client = client_for(url)
    assert await client.parse("hallo") is None
    await client.aclose()


async def test_non_json_answer_gives_none(rasa: tuple[FakeRasa, str]) -> None:
    state, url = rasa
    state.mode = "garbage"
    client = client_for(url)
    assert await client.parse("hallo") is None
    await client.aclose()


async def test_slow_server_times_out_quickly_and_gives_none(rasa: tuple[FakeRasa, str]) -> None:
    state, url = rasa
    state.delay = 1.0
    client = client_for(url, timeout=0.2)
    started = asyncio.get_running_loop().time()
    assert await client.parse("hallo") is None
    assert asyncio.get_running_loop().time() - started < 1.0
    await client.aclose()


async def test_connection_refused_gives_none() -> None:
    client = client_for(f"http://127.0.0.1:{free_port()}")
    assert await client.parse("hallo") is None
    await client.aclose()


async def test_breaker_opens_after_three_failures_and_stops_calling(
    rasa: tuple[FakeRasa, str],
) -> None:
    state, url = rasa
    state.mode = "error"
    client = client_for(url)
    for _ in range(6):
        assert await client.parse("hallo") is None
    assert state.requests == 3
    assert not client.available
    await client.aclose()


async def test_one_warning_per_outage_then_one_info_on_recovery(
    rasa: tuple[FakeRasa, str], caplog: pytest.LogCaptureFixture
) -> None:
    state, url = rasa
    clock = Clock()
    client = client_for(url, clock)
    caplog.set_level(logging.DEBUG, logger="bot.infra.rasa")
    state.mode = "error"
    for _ in range(10):
        await client.parse(PUPIL_TEXT)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1

    state.mode = "ok"
    assert await client.parse(PUPIL_TEXT) is None  # still open: no call during the cool-down
    clock.now += 31
    result = await client.parse(PUPIL_TEXT)  # half-open probe succeeds and closes
    assert result is not None and result.intent == "inform_location"
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 1 and "recovered" in infos[0].getMessage()
    assert client.available
    assert PUPIL_TEXT not in caplog.text and "borgerhout" not in caplog.text
    assert TOKEN not in caplog.text
    await client.aclose()


async def test_failed_probe_keeps_the_circuit_open_for_another_cooldown(
    rasa: tuple[FakeRasa, str],
) -> None:
    state, url = rasa
    clock = Clock()
    client = client_for(url, clock)
    state.mode = "error"
    for _ in range(3):
        await client.parse("hallo")
    clock.now += 31
    assert await client.parse("hallo") is None  # the probe
    assert state.requests == 4
    state.mode = "ok"
    assert await client.parse("hallo") is None  # open again, no call
    assert state.requests == 4
    clock.now += 31
    assert await client.parse("hallo") is not None
    await client.aclose()


def test_fallback_parse_becomes_no_intent_with_the_best_real_score() -> None:
    result = to_result(
        {
            "text": "qsdf",
            "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "entities": [],
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.3},
                {"name": "greet", "confidence": 0.22},
                {"name": "out_of_scope", "confidence": 0.2},
            ],
        }
    )
    assert result.intent is None
    assert result.confidence == pytest.approx(0.22)
    assert [name for name, _ in result.ranking] == ["greet", "out_of_scope"]


def test_postcode_entity_keeps_its_value() -> None:
    result = to_result(
        {
            "text": "2140",
            "intent": {"name": "inform_location", "confidence": 0.8},
            "entities": [{"entity": "postcode", "start": 0, "end": 4, "value": "2140"}],
        }
    )
    assert result.entity("postcode") == "2140"
