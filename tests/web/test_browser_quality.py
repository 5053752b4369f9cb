"""Accessibility (axe-core, vendored) and screenshots of the web chat in Chromium.

The screenshots (phone and desktop) are written to docs/screenshots/ for the README.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, PHONE
from tests.support.web_server import WebServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000  # ms: Playwright's upper bound for a condition, not a measured duration
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def converse(page: Any, server: WebServer) -> None:
    """The welcome, a button and a typed answer: a page with every kind of element."""
    page.goto(server.url + "/")
    expect(page.locator("#log .msg.bot").first).to_contain_text("automatische assistent",
                                                                 timeout=WAIT)
    page.get_by_role("button", name="Het loopt moeilijk op school").click()
    expect(page.locator("#log .msg.pupil")).to_have_count(1, timeout=WAIT)
    expect(page.locator("#log .choices")).to_have_count(2, timeout=WAIT)  # the next question
    expect(page.locator("#typing")).to_be_hidden()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text(encoding="utf-8"))  # DevTools evaluation: no inline script
    result: dict[str, Any] = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_AA)
    return list(result["violations"])


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_serious_accessibility_violations(chromium: Any, server: WebServer,
                                             viewport: dict[str, int]) -> None:
    context = chromium.new_context(viewport=viewport, locale="nl-BE")
    try:
        page = context.new_page()
        converse(page, server)
        violations = axe_violations(page)
    finally:
        context.close()
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
               for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert [v["id"] for v in violations] == []  # moderate and minor ones too, as it stands


def test_keyboard_only_reaches_the_buttons_and_the_input(page: Any, server: WebServer) -> None:
    converse(page, server)
    choices = page.locator("#log .choices").last.get_by_role("button").all_inner_texts()
    page.locator("#forget").focus()  # the first thing on the page that takes focus
    reached = ["forget"]
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(
            "document.activeElement.id || document.activeElement.textContent.trim()"))
        if reached[-1] == "send":
            break
    assert "forget" in reached and "log" in reached and "text" in reached
    assert reached.index("forget") < reached.index("log") < reached.index("text")
    assert set(choices) <= set(reached[reached.index("log"):reached.index("text")])
    page.keyboard.press("Shift+Tab")  # back from the send button to the input
    page.keyboard.type("hallo")
    page.keyboard.press("Enter")
    expect(page.locator("#log .msg.pupil").last).to_have_text("Jij: hallo", timeout=WAIT)


def test_reduced_motion_stops_the_typing_animation(chromium: Any, server: WebServer) -> None:
    context = chromium.new_context(viewport=PHONE, reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        name = page.evaluate(
            "getComputedStyle(document.querySelector('.dots'), '::before').animationName")
    finally:
        context.close()
    assert name == "none"


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "web-chat-phone.png"),
                                                (DESKTOP, "web-chat-desktop.png")])
def test_screenshots(chromium: Any, server: WebServer, viewport: dict[str, int],
                     name: str) -> None:
    context = chromium.new_context(viewport=viewport, locale="nl-BE", device_scale_factor=1,
                                   reduced_motion="reduce")
    try:
        page = context.new_page()
        converse(page, server)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name))
    finally:
        context.close()
    assert (SCREENSHOTS / name).stat().st_size > 10_000
