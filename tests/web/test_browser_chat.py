"""The pupil's web chat in Chromium against `wegwijs run` (a real server in a subprocess)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.web_server import WebServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000  # ms: Playwright's upper bound for a condition, not a measured duration


def bot_lines(page: Any) -> Any:
    return page.locator("#log .msg.bot")


def open_chat(page: Any, server: WebServer, path: str = "/") -> None:
    page.goto(server.url + path)
    expect(bot_lines(page).first).to_contain_text("automatische assistent", timeout=WAIT)


def test_welcome_says_it_is_an_assistant_and_offers_buttons(page: Any, server: WebServer) -> None:
    open_chat(page, server)
    expect(page.locator("#log .choices button").first).to_be_visible()
    assert page.evaluate("localStorage.getItem('wegwijs.session')")  # the token, not in a URL
    assert "wegwijs.session" not in page.url


def test_buttons_and_typed_text_work(page: Any, server: WebServer) -> None:
    open_chat(page, server)
    page.get_by_role("button", name="Ik wil stoppen met school").click()
    expect(page.locator("#log .msg.pupil").last).to_have_text(
        "Jij: Ik wil stoppen met school", timeout=WAIT)
    before = bot_lines(page).count()
    page.get_by_label("Jouw bericht").fill("ik ben 15")
    page.keyboard.press("Enter")
    expect(page.locator("#log .msg.pupil").last).to_have_text("Jij: ik ben 15", timeout=WAIT)
    expect(bot_lines(page)).not_to_have_count(before, timeout=WAIT)


def test_crisis_text_gets_the_crisis_reply(page: Any, server: WebServer) -> None:
    open_chat(page, server)
    page.get_by_label("Jouw bericht").fill("ik wil dood")
    page.get_by_role("button", name="Stuur").click()
    expect(page.locator("#log")).to_contain_text("1813", timeout=WAIT)


def test_reload_keeps_the_conversation_once(page: Any, server: WebServer) -> None:
    open_chat(page, server)
    page.get_by_label("Jouw bericht").fill("hallo daar")
    page.keyboard.press("Enter")
    expect(page.locator("#log .msg.pupil")).to_have_text(["Jij: hallo daar"], timeout=WAIT)
    expect(bot_lines(page)).not_to_have_count(1, timeout=WAIT)
    shown: list[str] = []
    for _ in range(50):  # the reply's bubbles come one by one: wait until the last is in
        now = page.locator("#log .msg").all_inner_texts()
        if now == shown:
            break
        shown = now
        page.wait_for_timeout(200)
    page.reload()
    expect(page.locator("#log .msg")).to_have_count(len(shown), timeout=WAIT)
    assert page.locator("#log .msg").all_inner_texts() == shown


def test_vergeet_erases_the_session_here_and_on_the_server(page: Any, server: WebServer) -> None:
    open_chat(page, server)
    token = page.evaluate("localStorage.getItem('wegwijs.session')")
    assert token
    page.get_by_role("button", name="Vergeet mij").click()
    confirm = page.locator("#log .choices").last.get_by_role("button").first
    expect(confirm).to_be_visible(timeout=WAIT)
    page.locator("#log .choices").last.get_by_role("button", name="Ja, wis alles").click()
    expect(page.locator("#status")).to_contain_text("gewist", timeout=WAIT)
    assert page.evaluate("localStorage.getItem('wegwijs.session')") is None
    assert page.locator("#log .msg.pupil").count() == 0  # nor on the screen
