"""Run dialogue tests through the real message pipeline (safety, NLU, engine, handoff, store).

Offline (the default) there is no Rasa: a turn uses the NLU result the test gives (`nlu:`), and
otherwise the bot's own keyword understanding, exactly as when Rasa is down. With a Rasa client
every turn is parsed by the real model and the `nlu:` lines are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.conversation.seed import pupil_state, seed_pupil
from bot.conversation.service import ConversationService, Inbound
from bot.dialogues.spec import Dialogue, Expect, Turn
from bot.flows.actions import Message
from bot.flows.nlu import NluClient, NluResult
from bot.flows.state import State
from bot.infra.sql import Case

CHANNEL = "console"
OPEN_CASE = ("pending", "claimed")


@dataclass(frozen=True, slots=True)
class _Given:
    """An NLU client that answers one fixed parse (the `nlu:` of a turn)."""

    result: NluResult

    async def parse(self, text: str) -> NluResult | None:
        return self.result


@dataclass(slots=True)
class TurnRecord:
    """What happened in one turn, for checks, reports and listening figures."""

    turn: Turn
    messages: tuple[Message, ...]
    before: State
    after: State
    safety: str
    handoff: bool
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class Failure:
    """A failed expectation: where it is written, what was wrong, and the talk up to there."""

    dialogue: Dialogue
    turn_index: int
    problems: list[str]
    records: list[TurnRecord]

    def render(self) -> str:
        turn = self.dialogue.turns[self.turn_index]
        head = (f"{self.dialogue.file}:{turn.line or self.dialogue.line}: dialogue "
                f"'{self.dialogue.name}', turn {self.turn_index + 1}")
        lines = [head, *(f"  - {p}" for p in self.problems), "  conversation up to here:"]
        lines += transcript(self.records)
        return "\n".join(lines)


def transcript(records: Sequence[TurnRecord], notes: bool = False) -> list[str]:
    """The conversation as lines: pupil, bot, buttons (and what the engine noticed)."""
    lines: list[str] = []
    for record in records:
        lines.append(f"    pupil: {record.turn.shown}")
        if notes and record.notes:
            lines.append(f"           ({', '.join(record.notes)})")
        for message in record.messages:
            lines.append(f"    bot:   {message.text}")
            if message.buttons:
                lines.append("           " + " ".join(f"[{b.title}]" for b in message.buttons))
    return lines


@dataclass(slots=True)
class DialogueResult:
    """The outcome of one dialogue."""

    dialogue: Dialogue
    records: list[TurnRecord] = field(default_factory=list)
    failure: Failure | None = None
    skipped: bool = False


class Runner:
    """Sends each dialogue's turns to a conversation service as a fresh console pupil."""

    def __init__(self, service: ConversationService, nlu: NluClient | None = None) -> None:
        self.service = service
        self.nlu = nlu
        self._count = 0

    async def run(self, dialogue: Dialogue) -> DialogueResult:
        result = DialogueResult(dialogue)
        if dialogue.needs_rasa and self.nlu is None:
            result.skipped = True
            return result
        self._count += 1
        user = f"dialogue-{self._count}"
        last = await seed_pupil(self.service, CHANNEL, user, dialogue.start, dialogue.slots)
        for index, turn in enumerate(dialogue.turns):
            before = await pupil_state(self.service, CHANNEL, user)
            inbound, problem = self._inbound(turn, user, last)
            if inbound is None:
                result.failure = Failure(dialogue, index, [problem], result.records)
                return result
            self.service.nlu = self.nlu if self.nlu is not None else (
                _Given(turn.nlu) if turn.nlu is not None else None)
            handled = await self.service.handle(inbound)
            after = await pupil_state(self.service, CHANNEL, user)
            record = TurnRecord(turn, handled.messages, before, after, handled.safety or "none",
                                await self._has_case(handled.pupil_id), handled.notes)
            result.records.append(record)
            problems = check(turn.expect, record)
            if problems:
                result.failure = Failure(dialogue, index, problems, result.records)
                return result
            last = handled.messages
        return result

    def _inbound(self, turn: Turn, user: str, last: Sequence[Message]
                 ) -> tuple[Inbound | None, str]:
        if turn.press is None:
            return Inbound(CHANNEL, user, user, text=turn.text), ""
        wanted = _norm(turn.press)
        for message in last:
            for button in message.buttons:
                if _norm(button.title) == wanted:
                    return Inbound(CHANNEL, user, user, button=button.payload), ""
        offered = ", ".join(f"'{b.title}'" for m in last for b in m.buttons) or "none"
        return None, f"the button '{turn.press}' was not offered (offered: {offered})"

    async def _has_case(self, pupil_id: str) -> bool:
        async with self.service.store.transaction() as session:
            found = await session.scalar(
                select(Case.id).where(Case.pupil_id == pupil_id, Case.status.in_(OPEN_CASE))
            )
        return found is not None


def check(expect: Expect, record: TurnRecord) -> list[str]:
    """Every expectation the reply does not meet, in words an editor understands."""
    said = _norm(" \n ".join(m.text for m in record.messages))
    titles = [_norm(b.title) for m in record.messages for b in m.buttons]
    problems = [f'expected the bot to say "{f}"' for f in expect.says if _norm(f) not in said]
    if expect.says_one_of and not any(_norm(f) in said for f in expect.says_one_of):
        options = " | ".join(f'"{f}"' for f in expect.says_one_of)
        problems.append(f"expected the bot to say one of {options}")
    problems += [f'the bot must not say "{f}"' for f in expect.not_says if _norm(f) in said]
    problems += [f"expected a button '{b}'" for b in expect.buttons if _norm(b) not in titles]
    problems += [f"the button '{b}' must not be offered" for b in expect.not_buttons
                 if _norm(b) in titles]
    if expect.at is not None:
        where = record.after.waiting
        actual = f"{where.flow}.{where.step}" if where else "(no question waiting)"
        wanted = expect.at
        if not (actual == wanted or ("." not in wanted and actual.split(".")[0] == wanted)):
            problems.append(f"expected the bot to be at '{wanted}', it is at '{actual}'")
    if expect.handoff is not None and expect.handoff != record.handoff:
        problems.append("expected a request for a person (handoff)" if expect.handoff
                        else "expected no request for a person (handoff)")
    if expect.safety is not None and expect.safety != record.safety:
        problems.append(f"expected safety level '{expect.safety}', got '{record.safety}'")
    if expect.max_messages is not None and len(record.messages) > expect.max_messages:
        problems.append(f"expected at most {expect.max_messages} messages, "
                        f"got {len(record.messages)}")
    if expect.understood is not None:
        understood = "not_understood" not in record.notes
        if understood != expect.understood:
            problems.append("expected the bot to understand this message" if expect.understood
                            else "expected the bot to say it did not understand")
    return problems


_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    """Compare texts without case, accents on quotes, or runs of white space."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").casefold()
    return _SPACE.sub(" ", text).strip()
