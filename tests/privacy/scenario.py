"""A conversation full of sensitive free text, a handoff with full consent, and a crisis."""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.conversation.service import Handled, Inbound
from bot.flows.state import State
from bot.infra.sql import Pupil
from tests.privacy.support import PUPIL_ID_TELEGRAM

# Distinctive words that must never appear outside the encrypted columns.
SECRETS = ("Zwartbergmoeder", "slaappillen", "Oosterzeelstraat", "hartkloppingen")
STORY = f"Mijn {SECRETS[0]} is ziek en ik neem {SECRETS[1]}"
MORE = f"Ik woon in de {SECRETS[2]} en heb {SECRETS[3]}"
CRISIS = "ik wil niet meer leven, ik wil dood"
EMOJI_RTL = "😢👨‍👩‍👧 مرحبا שלום \u202eteef"

_update_ids = itertools.count(1000)


async def say(
    app: App,
    text: str | None = None,
    button: str | None = None,
    user: str = PUPIL_ID_TELEGRAM,
    channel: str = "telegram",
) -> Handled:
    """One pupil update through the whole pipeline."""
    return await app.service.handle(
        Inbound(channel, user, user, str(next(_update_ids)), text=text, button=button)
    )


async def sensitive_conversation(
    app: App, user: str = PUPIL_ID_TELEGRAM, crisis: bool = True
) -> list[Handled]:
    """Free-text answers, emoji and right-to-left text, a handoff with full consent, a crisis."""
    steps: list[dict[str, Any]] = [
        {"text": "/start"},
        {"button": "!flow:probe"},
        {"text": STORY},
        {"text": MORE},
        {"text": EMOJI_RTL},
        {"button": "!intent:ask_human"},
        {"button": "handoff.consent:full"},
    ]
    if crisis:
        steps.append({"text": CRISIS})
    handled = [await say(app, user=user, **step) for step in steps]
    if crisis and handled[-1].safety != "crisis":  # safety lexicon not there yet: force the flow
        handled.append(await say(app, user=user, button="!flow:crisis_suicide_self_harm"))
    return handled


async def pupil_state(
    app: App, user: str = PUPIL_ID_TELEGRAM, channel: str = "telegram"
) -> State | None:
    """The decrypted conversation state of a pupil, or None when there is no pupil row."""
    pupil_id = app.cipher.pseudonym(channel, user)
    async with app.store.transaction() as session:
        pupil = (await session.scalars(select(Pupil).where(Pupil.id == pupil_id))).first()
    if pupil is None:
        return None
    return State.from_json(app.cipher.open(pupil.state)) if pupil.state else State()


def canonical(state: State | None) -> str:
    """A comparable form of a state."""
    return json.dumps(state.to_json() if state else None, sort_keys=True, ensure_ascii=False)
