"""A content reload reaches Telegram: the command menu is set again and system texts change.

The bot runs in this process against the fake Bot API (real HTTP); an editor changes a copy of
the content and the process gets SIGHUP, as `wegwijs content reload` sends it.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from tests.channels.telegram.conftest import serving
from tests.support.editable_content import copy_content, edit
from tests.support.fake_bot_api import FakeBotApi

MENU = "all_private_chats:"
GROUP = -100555


@pytest.fixture
def editable(tmp_path: Path, content_dir: Path) -> Path:
    """A copy of the test content an editor can change while the bot runs."""
    return copy_content(tmp_path, content_dir)


@pytest.fixture
async def running(api: FakeBotApi, tmp_path: Path, editable: Path) -> AsyncIterator[App]:
    """`serve` polling the fake server in this process, until the test ends."""
    async with serving(api, tmp_path / "data", editable) as app:
        yield app


def menu(api: FakeBotApi) -> dict[str, str]:
    return {c["command"]: c["description"] for c in api.commands.get(MENU, [])}


async def test_a_reload_sets_the_new_command_menu(
    api: FakeBotApi, running: App, editable: Path
) -> None:
    help_text = running.content.patterns.command_descriptions["help"]
    assert menu(api)["help"] == help_text
    edit(editable / "patterns.yml", f'description: "{help_text}"',
         'description: "Wat kan deze bot allemaal?"')
    before = len(api.calls_of("setMyCommands"))
    os.kill(os.getpid(), signal.SIGHUP)
    await api.until(lambda: len(api.calls_of("setMyCommands")) > before, timeout=30)
    assert menu(api)["help"] == "Wat kan deze bot allemaal?"


async def test_a_broken_reload_keeps_the_menu_and_the_old_texts(
    api: FakeBotApi, running: App, editable: Path
) -> None:
    old_text = running.content.text("only_private_chats")
    help_text = running.content.patterns.command_descriptions["help"]
    edit(editable / "patterns.yml", f'description: "{help_text}"',
         'description: "Kapot"}\n  broken: [')
    reloaded = asyncio.Event()
    original = running.reload_in_background

    async def watched() -> bool:
        taken = await original()
        reloaded.set()
        return taken

    running.reload_in_background = watched  # type: ignore[method-assign]
    before = len(api.calls_of("setMyCommands"))
    os.kill(os.getpid(), signal.SIGHUP)
    await asyncio.wait_for(reloaded.wait(), 30)
    assert len(api.calls_of("setMyCommands")) == before
    assert menu(api)["help"] == help_text
    api.push_group_text(GROUP, 42, "hallo allemaal")
    await api.until(lambda: bool(api.calls_of("leaveChat")))
    assert api.texts(GROUP) == [old_text]


async def test_a_system_text_changed_by_a_reload_is_used_at_once(
    api: FakeBotApi, running: App, editable: Path
) -> None:
    new_text = "Ik praat alleen privé met jongeren. Stuur me een bericht."
    edit(editable / "texts.yml", running.content.text("only_private_chats"), new_text)
    before = len(api.calls_of("setMyCommands"))
    os.kill(os.getpid(), signal.SIGHUP)
    await api.until(lambda: len(api.calls_of("setMyCommands")) > before, timeout=30)
    api.push_group_text(GROUP, 42, "hallo allemaal")
    await api.until(lambda: bool(api.calls_of("leaveChat")))
    assert api.texts(GROUP) == [new_text]
