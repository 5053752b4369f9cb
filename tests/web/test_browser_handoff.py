"""A web pupil and a counsellor in a Telegram group, end to end: `wegwijs run` in a subprocess
(web chat and Telegram in one process), Chromium for the pupil, the fake Bot API (real HTTP)
for the counsellors' group."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.handoff.support import SARA, networks_config
from tests.support.fake_bot_api import FakeBotApi
from tests.support.web_server import WebServer, web_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 30_000  # ms: Playwright's upper bound for a condition, not a measured duration
LIMBURG = -1003


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
def server(api: FakeBotApi, tmp_path: Path) -> Iterator[WebServer]:
    env = {
        **api.env(),
        "WEGWIJS_COUNSELLOR_CHAT_ID": "-1001",
        "WEGWIJS_NETWORKS_CONFIG": str(networks_config(tmp_path / "networks.yml")),
        "WEGWIJS_TELEGRAM_RATE_LIMIT": "off",
    }
    with web_server(tmp_path, env) as running:
        yield running


def group_text(api: FakeBotApi, fragment: str) -> dict[str, Any]:
    """The newest message in the Limburg group containing `fragment` (waits for it)."""
    api.wait_for(lambda: any(fragment in t for t in api.texts(LIMBURG)), 30)
    return next(m for m in reversed(api._messages[str(LIMBURG)]) if fragment in m["text"])


# `page` last: its WebSocket then closes before the server stops (an open one holds the
# server's shutdown for seconds).
def test_consent_claim_relay_close_and_feedback_from_the_web_chat(
    api: FakeBotApi, server: WebServer, page: Any
) -> None:
    log = page.locator("#log")
    page.goto(server.url + "/n/limburg")
    page.get_by_role("button", name="Praten met een mens").click()
    expect(log).to_contain_text("Wat mag de begeleider vooraf zien?", timeout=WAIT)
    page.get_by_role("button", name="Alleen een korte samenvatting").click()

    case = group_text(api, "Vraag #1")
    assert "Netwerk: Limburg" in case["text"]
    api.push_group_callback(LIMBURG, int(SARA), "case:1:claim")
    expect(log).to_contain_text("Sara (CLB-medewerker) is er nu voor je", timeout=WAIT)

    bot_lines = page.locator("#log .msg.bot").count()
    page.get_by_label("Jouw bericht").fill("Ik wil stoppen met school")
    page.keyboard.press("Enter")
    relayed = group_text(api, "💬 Jongere (#1): Ik wil stoppen met school")
    api.push_group_text(LIMBURG, int(SARA), "Dag, ik ben Sara. Wat maakt het zo zwaar?",
                        reply_to_message=relayed)
    expect(page.locator("#log .msg.bot").last).to_have_text(
        "Wegwijs: Sara (CLB-medewerker): Dag, ik ben Sara. Wat maakt het zo zwaar?",
        timeout=WAIT)
    assert page.locator("#log .msg.bot").count() == bot_lines + 1  # the bot itself kept quiet

    api.push_group_callback(LIMBURG, int(SARA), "case:1:close")
    group_text(api, "Hoe sluit je vraag #1 af?")
    api.push_group_callback(LIMBURG, int(SARA), "case:1:close:helped")
    expect(log).to_contain_text("had je iets aan dit gesprek", timeout=WAIT)
    page.locator("#log .choices").last.get_by_role("button", name="👍 Ja").click()
    expect(log).to_contain_text("Dank je!", timeout=WAIT)
    texts = page.locator("#log .msg").all_text_contents()
    said = "Wegwijs: Sara (CLB-medewerker): Dag, ik ben Sara. Wat maakt het zo zwaar?"
    assert texts.count(said) == 1 and texts.count("Jij: Ik wil stoppen met school") == 1
    assert api.texts(LIMBURG).count(relayed["text"]) == 1
