"""A bug while handling one JSONL line: a kind reply for that line; the next line still works."""

from __future__ import annotations

import io
import json

import pytest

from bot.app import App
from bot.channels import console
from bot.conversation.service import Handled, Inbound


async def test_a_failing_line_gets_the_generic_reply_and_the_channel_goes_on(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = app.service.handle

    async def sometimes_broken(inbound: Inbound) -> Handled:
        if inbound.text == "boem":
            raise RuntimeError("a bug in a flow")
        return await real(inbound)

    monkeypatch.setattr(app.service, "handle", sometimes_broken)
    stdin = io.BytesIO(
        b'{"user": "a", "text": "boem"}\n{"user": "a", "text": "/start"}\n'
    )
    stdout = io.StringIO()
    await console.run_jsonl(app.service, stdin, stdout, patience=0.0)
    first, second = (json.loads(line) for line in stdout.getvalue().splitlines())
    assert first == {
        "user": "a",
        "replies": [{"text": app.content.text("error_generic"), "buttons": []}],
    }
    assert "1813" in first["replies"][0]["text"]
    assert second["user"] == "a" and second["replies"]  # the welcome: the channel went on
