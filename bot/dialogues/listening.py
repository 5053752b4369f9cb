"""Listening figures over a set of conversations: how often the bot did not hear the pupil.

- not understood: a pupil turn the engine answered with its fallback;
- a known slot asked again: the turn ends at a question about the pupil (age, year, place, ...)
  whose answer the bot already had;
- a repeated block: a message of the bot's that is not a question, sent a second time in the
  same conversation;
- a hijack: a topic flow that replaced a waiting question the pupil was answering;
- long turns: more than three messages in one reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.dialogues.runner import DialogueResult, TurnRecord

MIN_BLOCK = 60  # characters: short lines ("Oké.") may come back without being a block
MAX_MESSAGES = 3


@dataclass(slots=True)
class Figures:
    """Counts over all pupil turns of a set of conversations."""

    dialogues: int = 0
    turns: int = 0
    not_understood: int = 0
    asked_again: int = 0
    repeated_blocks: int = 0
    hijacks: int = 0
    long_turns: int = 0
    acknowledged: int = 0  # a statement the bot could not place, acknowledged
    unanswered: int = 0  # a question nobody wrote an answer to ("Dat weet ik niet zeker")
    clarified: int = 0  # the question's own text said what it needs
    bank_answers: int = 0
    switch_offers: int = 0


def measure(results: Sequence[DialogueResult]) -> Figures:
    """Count the listening figures of these results."""
    figures = Figures()
    for result in results:
        if result.skipped:
            continue
        figures.dialogues += 1
        sent: set[str] = set()
        for record in result.records:
            figures.turns += 1
            figures.not_understood += "not_understood" in record.notes
            figures.hijacks += "hijack" in record.notes
            figures.asked_again += asked_known(record)
            figures.long_turns += len(record.messages) > MAX_MESSAGES
            figures.acknowledged += "acknowledged" in record.notes
            figures.unanswered += "unanswered_question" in record.notes
            figures.clarified += "clarified" in record.notes
            figures.bank_answers += "question_answered" in record.notes
            figures.switch_offers += "switch_offered" in record.notes
            for message in record.messages:
                text = message.text.strip()
                if len(text) < MIN_BLOCK or text.endswith("?") or message.buttons:
                    continue
                if text in sent:
                    figures.repeated_blocks += 1
                sent.add(text)
    return figures


def asked_known(record: TurnRecord) -> bool:
    """The turn ends at a question about the pupil that the bot could already answer."""
    return "asked_known" in record.notes
