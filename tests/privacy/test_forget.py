"""Promise: `/vergeet` erases everything about the pupil after one confirmation (state, plan,
cases, transcript, pending messages, scheduled items) and the counsellor side is told."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.infra.sql import Case, OutboxEntry, ProcessedUpdate, TranscriptLine
from tests.privacy.scenario import SECRETS, pupil_state, say, sensitive_conversation
from tests.privacy.support import PUPIL_ID_TELEGRAM


async def _rows(app: App, model: type, pupil_id: str) -> list[object]:
    async with app.store.transaction() as session:
        column = model.pupil_id  # type: ignore[attr-defined]
        return list((await session.scalars(select(model).where(column == pupil_id))).all())


async def _outbox(app: App) -> list[tuple[OutboxEntry, dict[str, object]]]:
    async with app.store.transaction() as session:
        entries = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all()
    return [(e, app.cipher.open(e.payload) if e.payload else {}) for e in entries]


async def test_forget_after_confirmation_erases_everything_and_tells_the_counsellor(
    app: App,
) -> None:
    pupil_id = app.cipher.pseudonym("telegram", PUPIL_ID_TELEGRAM)
    await sensitive_conversation(app, crisis=False)
    assert await _rows(app, Case, pupil_id), "the scenario should have opened a case"
    before = await pupil_state(app)
    assert before is not None and before.slots.get("probe_story")

    asked = await say(app, "/vergeet")
    assert asked.messages[-1].buttons, "one confirmation question with buttons"
    assert await _rows(app, Case, pupil_id), "nothing is erased before the confirmation"
    done = await say(app, button="forget.confirm:yes")
    assert done.messages

    state = await pupil_state(app)
    assert state is not None
    assert dict(state.slots) == {}
    assert state.history == ()
    assert await _rows(app, Case, pupil_id) == []
    assert await _rows(app, TranscriptLine, pupil_id) == []
    assert len(await _rows(app, ProcessedUpdate, pupil_id)) <= 1  # only the confirming update
    outbox = await _outbox(app)
    own = [(e, p) for e, p in outbox if e.pupil_id == pupil_id]
    # what is left for the pupil is the reply to the confirmation itself, nothing older
    assert {e.dedupe_key.rsplit(":", 1)[0] for e, _ in own} <= {
        f"reply:telegram:{done_key}" for done_key in _confirm_keys(outbox)
    }
    assert all(not any(s in str(p) for s in SECRETS) for _, p in outbox)
    erased = [e for e, _ in outbox if e.dedupe_key.endswith(":erased")]
    assert erased, "the counsellor side must be told the case was erased"
    assert all(e.destination.startswith("tg:-1001") and e.pupil_id is None for e in erased)


def _confirm_keys(outbox: list[tuple[OutboxEntry, dict[str, object]]]) -> set[str]:
    """Update ids of the last replies (the confirmation's)."""
    keys = [e.dedupe_key for e, _ in outbox if e.dedupe_key.startswith("reply:")]
    last = keys[-1].split(":")[2] if keys else ""
    return {last}


async def test_forget_answered_no_keeps_everything(app: App) -> None:
    pupil_id = app.cipher.pseudonym("telegram", PUPIL_ID_TELEGRAM)
    await sensitive_conversation(app, crisis=False)
    await say(app, "/vergeet")
    await say(app, button="forget.confirm:no")
    assert await _rows(app, Case, pupil_id)
    state = await pupil_state(app)
    assert state is not None and state.slots.get("probe_story")
