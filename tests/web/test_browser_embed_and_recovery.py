"""The widget on another site's page, and a dropped connection, in Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import PHONE
from tests.support.web_server import WebServer, free_port, web_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 20_000  # ms: Playwright's upper bound for a condition, not a measured duration
RESTART_WAIT = 60_000  # ms: a restart of `wegwijs run` plus the page's reconnect backoff


@contextmanager
def school_site(widget_src: str, port: int | None = None) -> Iterator[str]:
    """A school's page (another origin: http://localhost:<port>) with the widget's script tag."""
    page = (f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>School</title>'
            f'</head><body><h1>Onze school</h1>'
            f'<script src="{widget_src}" data-netwerk="limburg"></script></body></html>')

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_widget_puts_the_chat_on_an_allowed_site_and_not_elsewhere(
    chromium: Any, tmp_path: Path
) -> None:
    allowed_port = free_port()
    env = {"WEGWIJS_WEB_EMBED_ORIGINS": f"http://localhost:{allowed_port}"}
    with web_server(tmp_path, env) as server:
        widget = f"{server.url}/widget.js"
        context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="nl-BE")
        try:
            page = context.new_page()
            with school_site(widget, allowed_port) as site:
                page.goto(site)
                launcher = page.get_by_role("button", name="Chat met Wegwijs")
                launcher.click()
                expect(page.locator("#wegwijs-button")).to_have_attribute("aria-expanded", "true")
                frame = page.frame_locator("#wegwijs-panel iframe")
                expect(frame.locator("#log .msg.bot").first).to_contain_text(
                    "automatische assistent", timeout=WAIT)
                frame.get_by_label("Jouw bericht").fill("hallo")
                frame.get_by_role("button", name="Stuur").click()
                expect(frame.locator("#log .msg.pupil")).to_have_text(["Jij: hallo"],
                                                                      timeout=WAIT)
                page.get_by_role("button", name="Sluit de chat").click()
                expect(page.locator("#wegwijs-panel")).to_be_hidden()
            with school_site(widget) as elsewhere:
                page.goto(elsewhere)
                page.get_by_role("button", name="Chat met Wegwijs").click()
                refused = page.locator("#wegwijs-panel iframe").element_handle().content_frame()
                refused.wait_for_load_state("load")
                assert refused.locator("#log").count() == 0  # the browser refused to frame it
        finally:
            context.close()


def test_a_dropped_connection_recovers_without_loss_or_doubles(
    chromium: Any, tmp_path: Path
) -> None:
    with web_server(tmp_path) as server:
        context = chromium.new_context(viewport=PHONE, locale="nl-BE")
        try:
            page = context.new_page()
            _recover(page, server)
        finally:
            context.close()


def _recover(page: Any, server: WebServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#log .msg.bot").first).to_contain_text("automatische assistent",
                                                                 timeout=WAIT)
    server.stop()  # the connection drops
    expect(page.locator("#status")).to_contain_text("Geen verbinding", timeout=WAIT)
    page.get_by_label("Jouw bericht").fill("ik wil stoppen met school")
    page.keyboard.press("Enter")  # typed while offline: kept by the page
    server.start()
    expect(page.locator("#log .msg.pupil")).to_have_text(["Jij: ik wil stoppen met school"],
                                                         timeout=RESTART_WAIT)
    expect(page.locator("#status")).to_be_empty()
    expect(page.locator("#log .choices")).to_have_count(2, timeout=WAIT)  # the answer came
    shown = page.locator("#log .msg").all_inner_texts()
    page.reload()  # what the server has is exactly what the page showed: no loss, no doubles
    expect(page.locator("#log .msg")).to_have_count(len(shown), timeout=WAIT)
    assert page.locator("#log .msg").all_inner_texts() == shown
