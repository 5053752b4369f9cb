"""Chromium from the Debian package, driven by Playwright (which never downloads a browser).

`chromium` (module scope) is a launched browser; `page` is a fresh context and page per
test. Module scope, not session: while Playwright's sync API is open it holds an event loop in
this thread, and pytest-asyncio cannot run the async tests of the next modules. Tests using
them are marked `browser` and are skipped, saying why, when /usr/bin/chromium or the playwright
package is missing (`make test` installs Debian's Chromium when it can).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("WEGWIJS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium for the tests of one module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A new page in its own context (own storage), phone-sized; closed after the test."""
    context = chromium.new_context(viewport=PHONE, locale="nl-BE")
    try:
        yield context.new_page()
    finally:
        context.close()
