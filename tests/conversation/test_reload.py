"""Reloading content/ while pupils talk: new texts on the next turn, broken content refused."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build
from bot.conversation.seed import pupil_state, seed_pupil, waiting_question
from bot.conversation.service import Inbound
from bot.flows.actions import Message
from bot.settings import Settings
from tests.support.editable_content import copy_content, edit

CHANNEL, USER = "console", "pupil-1"
SKIPPED = "quit_school.situation:skipped"  # the button that skips the question
MOTIVATION = "flows/motivation.yml"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A copy of the content an editor can change while the bot runs."""
    return copy_content(tmp_path)


@pytest.fixture
async def app(settings_env: dict[str, str], content_dir: Path) -> AsyncIterator[App]:
    built = await build(Settings.from_env({**settings_env,
                                           "WEGWIJS_CONTENT_DIR": str(content_dir)}))
    try:
        yield built
    finally:
        await built.close()


async def at_situation(app: App) -> tuple[Message, ...]:
    """A pupil in the middle of quit_school, asked what is going on."""
    await seed_pupil(app.service, CHANNEL, USER, "quit_school.situation", {"age": 16})
    return waiting_question(app.content, await pupil_state(app.service, CHANNEL, USER))


def skipped_text(app: App) -> str:
    """What the bot says when the pupil skips the question (an editor may change it)."""
    step = app.content.flows["quit_school"].step("skipped")
    assert step is not None, "quit_school has no step 'skipped': update this test"
    return step.texts[0]


async def press(app: App, question: tuple[Message, ...], payload: str) -> list[str]:
    assert payload in [b.payload for m in question for b in m.buttons], payload
    handled = await app.service.handle(Inbound(CHANNEL, USER, USER, button=payload))
    return [m.text for m in handled.messages]


async def where(app: App) -> str:
    frame = (await pupil_state(app.service, CHANNEL, USER)).waiting
    return f"{frame.flow}.{frame.step}" if frame else ""


async def test_a_text_changed_mid_conversation_is_said_on_the_next_turn(
    app: App, content_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    question = await at_situation(app)
    old = skipped_text(app)
    edit(content_dir / MOTIVATION, old, "Helemaal goed. Je hoeft niets te vertellen.")
    with caplog.at_level(logging.INFO, logger="bot.app"):
        assert app.reload()
    assert app.service.content is app.content and app.handoff.content is app.content
    said = await press(app, question, SKIPPED)
    assert "Helemaal goed. Je hoeft niets te vertellen." in said
    assert old not in said
    assert (await pupil_state(app.service, CHANNEL, USER)).slots["age"] == 16  # not restarted
    assert any("content reloaded" in r.getMessage() for r in caplog.records)
    # the warnings of the new content are printed at reload, as at start-up
    assert any(r.levelno == logging.WARNING and r.getMessage().startswith("content ")
               for r in caplog.records)


async def test_a_broken_change_is_refused_and_the_old_content_keeps_serving(
    app: App, content_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    question = await at_situation(app)
    before = app.content
    old = skipped_text(app)
    edit(content_dir / MOTIVATION, "        call: intake", "        call: intaek")
    edit(content_dir / MOTIVATION, old, "Nieuwe tekst die nooit live mag gaan.")
    with caplog.at_level(logging.INFO, logger="bot.app"):
        assert not app.reload()
    assert app.content is before and app.service.content is before
    assert app.handoff.content is before
    assert old in await press(app, question, SKIPPED)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("flows/motivation.yml:" in e and "intaek" in e for e in errors)
    assert any("previous content stays in use" in e for e in errors)


async def test_a_pupil_whose_step_disappeared_gets_a_friendly_restart_of_that_flow(
    app: App, content_dir: Path
) -> None:
    await at_situation(app)
    edit(content_dir / MOTIVATION, "      - id: situation\n", "      - id: what_happens\n")
    assert app.reload()
    handled = await app.service.handle(Inbound(CHANNEL, USER, USER, text="mijn leerkracht"))
    said = [m.text for m in handled.messages]
    assert said[0] == app.content.text("flow_restarted")
    flow_texts = [t for step in app.content.flows["quit_school"].steps for t in step.texts]
    assert said[1] in flow_texts  # the flow from its start, with the new step id
    assert await where(app) == "quit_school.what_happens"


async def test_a_pupil_in_a_crisis_is_helped_even_when_their_step_disappeared(
    app: App, content_dir: Path
) -> None:
    await at_situation(app)
    edit(content_dir / MOTIVATION, "      - id: situation\n", "      - id: what_happens\n")
    assert app.reload()
    handled = await app.service.handle(
        Inbound(CHANNEL, USER, USER, text="ik wil niet meer leven"))
    assert handled.safety == "crisis"
    assert app.content.text("flow_restarted") not in [m.text for m in handled.messages]


async def test_a_requested_reload_waits_for_the_next_message(
    app: App, content_dir: Path
) -> None:
    question = await at_situation(app)
    edit(content_dir / MOTIVATION, skipped_text(app), "Helemaal goed. Je hoeft niets te vertellen.")
    before = app.content
    app.request_reload()  # what SIGHUP does: nothing else happens yet
    assert app.content is before
    app.reload_if_requested()
    assert app.content is not before
    assert "Helemaal goed. Je hoeft niets te vertellen." in await press(app, question, SKIPPED)


async def test_sighup_reloads_in_the_background_while_the_bot_serves(
    app: App, content_dir: Path
) -> None:
    edit(content_dir / MOTIVATION, skipped_text(app), "Helemaal goed. Je hoeft niets te vertellen.")
    before = app.content
    watching = asyncio.create_task(app.reload_on_hangup())
    await asyncio.sleep(0)  # the task installs its handler before it first waits
    assert signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL  # (the default would kill us)
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(600):
            if app.content is not before:
                break
            await asyncio.sleep(0.05)
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
    assert app.content is not before
    assert app.content.flows["quit_school"].step("skipped").texts[0].startswith("Helemaal goed")
