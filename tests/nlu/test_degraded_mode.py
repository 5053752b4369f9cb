"""A conversation keeps going when Rasa stops mid-conversation and uses it again when back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.app import build
from bot.conversation.service import Handled, Inbound
from bot.infra.rasa import RasaNluClient
from bot.nlu_tools.project import NluProject
from bot.nlu_tools.server import RasaServer
from bot.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.rasa]

GIBBERISH = "qsdf blabla azertyuiop"


async def start(server: RasaServer) -> None:
    server.start()
    await asyncio.to_thread(server.wait_ready)


def texts(handled: Handled) -> str:
    return "\n".join(message.text for message in handled.messages)


async def test_conversation_survives_rasa_going_down_and_recovers(
    nlu_project: NluProject, rasa_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.infra.rasa")
    server = RasaServer(nlu_project, rasa_model)
    await start(server)
    env = {
        "WEGWIJS_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        "WEGWIJS_SECRET_KEY": "test-secret-key-0123456789abcdef",
        "WEGWIJS_COUNSELLOR_CHAT_ID": "-1001",
        "RASA_URL": server.url,
        "RASA_TOKEN": server.token,
    }
    app = await build(Settings.from_env(env))
    client = RasaNluClient(server.url, server.token, timeout=2.0, failure_threshold=1, cooldown=0.5)
    app.service.nlu = client
    degraded_hint = app.content.text("degraded_hint")

    async def say(text: str) -> Handled:
        return await app.service.handle(Inbound("console", "pupil-1", "pupil-1", text=text))

    try:
        assert (await say("/start")).messages
        understood = await say(GIBBERISH)
        assert understood.messages and degraded_hint not in texts(understood)

        server.stop()
        for _ in range(3):
            down = await say(GIBBERISH)
            assert down.messages, "the bot must keep answering while Rasa is down"
        assert degraded_hint in texts(down)
        assert not client.available
        # one warning for the outage, not one per message (content warnings at start-up aside)
        warnings = [r for r in caplog.records
                    if r.levelno == logging.WARNING and r.name == "bot.infra.rasa"]
        assert len(warnings) == 1

        again = RasaServer(nlu_project, rasa_model, port=server.port, token=server.token)
        await start(again)
        try:
            await asyncio.sleep(0.6)  # past the breaker's cool-down: the next parse probes
            back = await say(GIBBERISH)
            assert back.messages and degraded_hint not in texts(back)
            assert client.available
            assert any("recovered" in r.getMessage() for r in caplog.records)
        finally:
            again.close()
        assert GIBBERISH not in caplog.text
    finally:
        server.close()
        await client.aclose()
        await app.close()
