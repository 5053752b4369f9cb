"""Fault: two bot processes in webhook mode behind one load balancer, sharing one PostgreSQL
database, get interleaved updates of the same pupil. No update may be lost or handled twice,
each must see the state the previous one committed, and every reply is delivered once, in
order (the outbox keeps order per chat across replicas)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import webhook_secret
from bot.infra.crypto import Cipher
from bot.infra.sql import Store, TranscriptLine
from bot.settings import Settings
from tests.channels.telegram.conftest import bot_env
from tests.channels.telegram.process import BotProcess
from tests.privacy.scenario import pupil_state
from tests.privacy.support import CHAIN_LENGTH, SECRET
from tests.support.fake_bot_api import FakeBotApi
from tests.support.web_server import free_port

PUPIL = 4242001
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _chat() -> dict[str, object]:
    return {"id": PUPIL, "type": "private", "first_name": "P"}


def _text(update_id: int, text: str) -> dict[str, object]:
    message: dict[str, object] = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": _chat(),
        "from": {**_chat(), "is_bot": False},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


def _press(update_id: int, data: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq{update_id}",
            "from": {**_chat(), "is_bot": False},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": _chat(),
                "from": {"id": 1, "is_bot": True, "first_name": "B"},
                "text": "...",
            },
        },
    }


class _App:
    """Just enough of an App for `pupil_state`: the store and the cipher."""

    def __init__(self, url: str) -> None:
        self.store = Store(url)
        self.cipher = Cipher(SECRET)


async def test_two_webhook_replicas_on_one_postgres_lose_and_repeat_nothing(
    postgres_url: str, tmp_path: Path, hardened_content_dir: Path
) -> None:
    with FakeBotApi() as api:
        processes, urls = [], []
        try:
            for name in ("a", "b"):
                port = free_port()
                url = f"http://127.0.0.1:{port}/telegram/hook"
                env = {
                    **bot_env(api, tmp_path / name, hardened_content_dir),
                    "WEGWIJS_SECRET_KEY": SECRET,
                    "DATABASE_URL": postgres_url,
                }
                process = BotProcess(
                    api, env, "--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port)
                )
                processes.append(await asyncio.to_thread(process.start, 60))
                urls.append(url)
            secret = webhook_secret(Settings.from_env({"WEGWIJS_SECRET_KEY": SECRET}))
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            texts = [f"antwoord {i}" for i in range(1, CHAIN_LENGTH + 1)]
            async with httpx.AsyncClient(timeout=10) as client:

                async def post(replica: int, update: dict[str, object]) -> None:
                    response = await client.post(urls[replica], json=update, headers=headers)
                    assert response.status_code == 200

                await post(0, _text(1, "/start"))
                await asyncio.to_thread(api.wait_for, lambda: bool(api.buttons(PUPIL)), 20)
                await post(1, _press(2, "!flow:chain"))
                await asyncio.to_thread(api.wait_for, lambda: "Vraag 1?" in api.texts(PUPIL), 20)
                await asyncio.gather(
                    *(post(i % 2, _text(10 + i, text)) for i, text in enumerate(texts))
                )
                await asyncio.to_thread(
                    api.wait_for, lambda: "Klaar met de ketting." in api.texts(PUPIL), 60
                )
        finally:
            for process in processes:
                await asyncio.to_thread(process.close)

    sent = api.texts(PUPIL)
    questions = [t for t in sent if t.startswith("Vraag ")]
    assert questions == [f"Vraag {k}?" for k in range(1, CHAIN_LENGTH + 1)]  # once, in order
    assert sent.count("Klaar met de ketting.") == 1

    reader = _App(postgres_url)
    try:
        state = await pupil_state(reader, str(PUPIL))  # type: ignore[arg-type]
        pupil_id = reader.cipher.pseudonym("telegram", str(PUPIL))
        async with reader.store.transaction() as session:
            lines = (
                await session.scalars(
                    select(TranscriptLine)
                    .where(TranscriptLine.pupil_id == pupil_id, TranscriptLine.author == "pupil")
                    .order_by(TranscriptLine.id)
                )
            ).all()
        said = [reader.cipher.decrypt(line.body).decode() for line in lines]
    finally:
        await reader.store.close()
    assert state is not None
    assert sorted(said) == sorted(texts)  # every update handled exactly once
    assert [state.slots.get(f"chain_{k}") for k in range(1, CHAIN_LENGTH + 1)] == said
