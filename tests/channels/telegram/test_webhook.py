"""Webhook mode: updates arrive by HTTP POST with the secret header; anything else gets 403."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.channels.telegram.conftest import bot_env
from tests.channels.telegram.process import BotProcess
from tests.support.fake_bot_api import FakeBotApi
from tests.support.web_server import free_port


@pytest.fixture(scope="module")
def webhook(shared_api: FakeBotApi, tmp_path_factory: pytest.TempPathFactory,
            content_dir: Path) -> Iterator[str]:
    """`wegwijs run --webhook-url ...`; yields the URL the bot listens on."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    env = bot_env(shared_api, tmp_path_factory.mktemp("webhook"), content_dir)
    process = BotProcess(shared_api, env, "--webhook-url", url, "--listen", "127.0.0.1",
                         "--port", str(port)).start()
    try:
        yield url
    finally:
        process.close()


def forged(update_id: int, user: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {
        "message_id": 9, "date": 1_700_000_000, "chat": {"id": user, "type": "private"},
        "from": {"id": user, "is_bot": False, "first_name": "X"}, "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}


def test_the_webhook_is_set_with_a_secret_token(shared_api: FakeBotApi, webhook: str) -> None:
    call = shared_api.calls_of("setWebhook")[-1]
    assert call.params["url"] == webhook
    secret = call.params["secret_token"]
    assert 32 <= len(secret) <= 256 and secret.replace("_", "").replace("-", "").isalnum()


def test_updates_delivered_with_the_secret_are_answered(shared_api: FakeBotApi, webhook: str,
                                                       user: int) -> None:
    api = shared_api
    api.push_command(user, "start")
    api.wait_for(lambda: bool(api.buttons(user)))
    # PTB sets the webhook just before its server listens: like Telegram, the fake retries.
    assert api.webhook.deliveries[-1][1] == 200


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}])
def test_a_request_without_the_right_secret_gets_403_and_changes_nothing(
        shared_api: FakeBotApi, webhook: str, headers: dict[str, str], user: int) -> None:
    api = shared_api
    update = forged(555_000 + user % 1000, user)
    response = httpx.post(webhook, json=update, headers=headers)
    assert response.status_code == 403
    time.sleep(0.3)
    assert api.sent(user) == []  # not handled
    api.push(update)  # the same update, now really from Telegram: not seen before, so handled
    api.wait_for(lambda: bool(api.sent(user)))
