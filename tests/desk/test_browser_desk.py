"""The desk in Chromium against `wegwijs run` (a real server in a subprocess): a web pupil and
a Telegram pupil (fake Bot API) handled from request to feedback in the desk only, a second
counsellor sees the claim, the Telegram group stays in step, and the desk reconnects after a
server restart. Screenshots of the queue and a case go to docs/screenshots/."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, chromium
from tests.support.fake_bot_api import FakeBotApi
from tests.support.web_server import ROOT, WebServer, web_server

__all__ = ["chromium"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000  # ms: Playwright's upper bound for a condition, not a measured duration
GROUP = -100777
PASSWORD = "een lang testwachtwoord"
SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, api: FakeBotApi) -> Iterator[WebServer]:
    """`wegwijs run` with Telegram (the fake Bot API) and a counsellor group as default."""
    env = {**api.env(), "WEGWIJS_COUNSELLOR_CHAT_ID": str(GROUP)}
    with web_server(Path(tmp_path_factory.mktemp("desk")), env) as running:
        yield running


@pytest.fixture(scope="module")
def secrets(server: WebServer) -> dict[str, str]:
    """Two Limburg counsellors, made with `wegwijs counsellor add` as an admin would."""
    made = {}
    for login, name in (("lotte", "Lotte Janssens"), ("ines", "Ines Claes")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot",
                "counsellor",
                "add",
                login,
                "--name",
                name,
                "--network",
                "limburg",
                "--title",
                "clb",
                "--password-stdin",
            ],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            env=server.env,
            cwd=ROOT,
            check=True,
        )
        found = re.search(r"totp-secret: (\w+)", done.stdout)
        assert found, done.stdout + done.stderr
        made[login] = found.group(1)
    return made


@pytest.fixture(scope="module")
def desk(chromium: Any, server: WebServer, secrets: dict[str, str]) -> Iterator[Any]:
    """Lotte's desk, signed in, desktop-sized."""
    with _context(chromium) as context:
        yield _sign_in(context.new_page(), server, "lotte", secrets["lotte"])


@pytest.fixture
def colleague(chromium: Any, server: WebServer, secrets: dict[str, str]) -> Iterator[Any]:
    """Ines's desk, in its own browser context."""
    with _context(chromium) as context:
        yield _sign_in(context.new_page(), server, "ines", secrets["ines"])


@contextlib.contextmanager
def _context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="nl-BE")
    try:
        yield context
    finally:
        context.close()


_used_codes: set[tuple[str, str]] = set()


def _code(secret: str) -> str:
    """A TOTP code not used before (a code works once): wait for the next one if needed."""
    totp = pyotp.TOTP(secret)
    code = totp.now()
    while (secret, code) in _used_codes:
        time.sleep(1)
        code = totp.now()
    _used_codes.add((secret, code))
    return code


def _sign_in(page: Any, server: WebServer, login: str, secret: str) -> Any:
    page.goto(server.url + "/desk/")
    page.get_by_label("Gebruikersnaam").fill(login)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_label("Code uit je app").fill(_code(secret))
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "up", timeout=WAIT)
    return page


def _case_row(page: Any, text: str) -> Any:
    return page.locator("#cases li").filter(has_text=text).last


def test_wrong_password_is_refused_in_the_page(
    chromium: Any, server: WebServer, secrets: dict[str, str]
) -> None:
    with _context(chromium) as context:
        page = context.new_page()
        page.goto(server.url + "/desk/")
        page.get_by_label("Gebruikersnaam").fill("lotte")
        page.get_by_label("Wachtwoord").fill("niet het wachtwoord")
        page.get_by_label("Code uit je app").fill("123456")
        page.get_by_role("button", name="Aanmelden").click()
        expect(page.locator("#login-error")).to_contain_text("lukt niet", timeout=WAIT)
        assert page.locator("#desk").is_hidden()
        cookie = page.context.cookies()
        assert cookie == [], "no session cookie after a refused sign-in"


def test_web_pupil_from_request_to_feedback_in_the_desk(
    chromium: Any, server: WebServer, api: FakeBotApi, desk: Any, colleague: Any
) -> None:
    with _context(chromium) as pupil_context:
        pupil = pupil_context.new_page()
        pupil.goto(server.url + "/n/lim")
        expect(pupil.locator("#log .msg.bot").first).to_contain_text("assistent", timeout=WAIT)
        pupil.get_by_label("Jouw bericht").fill("ik wil met iemand praten")
        pupil.keyboard.press("Enter")
        pupil.get_by_role("button", name="Mijn antwoorden en ons gesprek").click()
        expect(pupil.locator("#log")).to_contain_text("doorgegeven", timeout=WAIT)

        row = _case_row(desk, "Limburg")
        expect(row).to_be_visible(timeout=WAIT)  # no reload: the event stream brought it
        expect(desk.locator("body")).to_have_attribute(
            "data-notified", re.compile("vraag"), timeout=WAIT
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        desk.screenshot(path=str(SHOTS / "desk-queue.png"))
        row.click()
        expect(desk.locator("#case-title")).to_contain_text("Limburg", timeout=WAIT)
        expect(desk.locator("#transcript li").first).to_be_attached(timeout=WAIT)
        desk.get_by_role("button", name="Opnemen").click()
        expect(desk.locator("#case-meta")).to_contain_text("bij Lotte", timeout=WAIT)

        expect(_case_row(colleague, "bij Lotte")).to_be_visible(timeout=WAIT)
        api.wait_for(lambda: any("Lotte" in t for t in api.texts(GROUP)), timeout=20)
        expect(pupil.locator("#log")).to_contain_text("Lotte", timeout=WAIT)

        desk.locator("#quick").select_option(label="Hallo")
        assert "ik ben er nu voor je" in desk.locator("#reply").input_value()
        desk.locator("#reply").fill("Hoi, ik ben Lotte van het CLB. Wat is er?")
        desk.get_by_role("button", name="Stuur").click()
        expect(pupil.locator("#log")).to_contain_text("Wat is er?", timeout=WAIT)
        pupil.get_by_label("Jouw bericht").fill("ik wil van school veranderen")
        pupil.keyboard.press("Enter")
        expect(desk.locator("#live")).to_contain_text("ik wil van school veranderen", timeout=WAIT)

        desk.get_by_label("Notitie").fill("Volgende week bellen.")
        desk.get_by_role("button", name="Bewaar notitie").click()
        expect(desk.locator("#notes")).to_contain_text("Volgende week bellen.", timeout=WAIT)
        expect(desk.locator("#note")).to_have_value("")
        desk.evaluate("window.scrollTo(0, 0)")
        desk.screenshot(path=str(SHOTS / "desk-case.png"), full_page=True)
        assert "Volgende week" not in pupil.locator("#log").inner_text()

        desk.get_by_label("Uitkomst").select_option(label="Afspraak gemaakt")
        desk.get_by_role("button", name="Afsluiten").click()
        expect(pupil.locator("#log")).to_contain_text("had je iets aan dit gesprek", timeout=WAIT)
        pupil.locator("#log .choices").last.get_by_role("button", name="👍 Ja").click()

        desk.get_by_role("button", name="Afgesloten").click()
        _case_row(desk, "Afspraak gemaakt").click()
        expect(desk.locator("#feedback")).to_contain_text("👍", timeout=WAIT)


def test_telegram_pupil_from_request_to_feedback_in_the_desk(
    server: WebServer, api: FakeBotApi, desk: Any
) -> None:
    desk.get_by_role("button", name="Wachtrij").click()
    pupil = 5551
    api.push_command(pupil, "start", "lim")
    api.wait_for(lambda: len(api.sent(pupil)) >= 1, timeout=20)
    api.push_text(pupil, "ik wil met iemand praten")
    api.wait_for(lambda: "Mijn antwoorden en ons gesprek" in api.buttons(pupil), timeout=20)
    api.press(pupil, "Alleen een korte samenvatting")
    row = _case_row(desk, "nog niet opgenomen")
    expect(row).to_be_visible(timeout=WAIT)
    row.click()
    desk.get_by_role("button", name="Opnemen").click()
    expect(desk.locator("#case-meta")).to_contain_text("bij Lotte", timeout=WAIT)
    expect(desk.locator("#no-transcript")).to_contain_text("niet", timeout=WAIT)
    api.wait_for(lambda: any("Lotte" in t for t in api.texts(pupil)), timeout=20)

    desk.locator("#reply").fill("Hallo, hier Lotte.")
    desk.get_by_role("button", name="Stuur").click()
    api.wait_for(lambda: any("Hallo, hier Lotte." in t for t in api.texts(pupil)), timeout=20)
    api.push_text(pupil, "hoi, ik spijbel veel")
    expect(desk.locator("#live")).to_contain_text("ik spijbel veel", timeout=WAIT)

    desk.get_by_label("Uitkomst").select_option(label="Geholpen")
    desk.get_by_role("button", name="Afsluiten").click()
    api.wait_for(lambda: "👍 Ja" in api.buttons(pupil), timeout=20)
    api.press(pupil, "👍 Ja")
    desk.get_by_role("button", name="Afgesloten").click()
    _case_row(desk, "Geholpen").click()
    expect(desk.locator("#feedback")).to_contain_text("👍", timeout=WAIT)


def test_the_desk_reconnects_after_a_restart_and_catches_up(
    server: WebServer, api: FakeBotApi, desk: Any
) -> None:
    desk.get_by_role("button", name="Wachtrij").click()
    server.stop()
    expect(desk.locator("#connection")).to_have_attribute("data-state", "down", timeout=WAIT)
    server.start()
    expect(desk.locator("#connection")).to_have_attribute("data-state", "up", timeout=WAIT)
    pupil = 5552
    api.push_command(pupil, "start", "lim")
    api.push_text(pupil, "ik wil met iemand praten")
    api.wait_for(lambda: "Toch niet" in api.buttons(pupil), timeout=20)
    api.press(pupil, "Niets, ik vertel het zelf")
    expect(desk.locator("#cases li[data-status=pending]")).to_have_count(1, timeout=WAIT)
