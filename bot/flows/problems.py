"""Problems found in content: what is wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.flows.messages import Messages

Severity = Literal["error", "warning"]
# Rasa's order: a file must be valid YAML before its schema is checked, and every file must
# pass both before cross-references mean anything (a file that cannot be read would make every
# reference to its flows look wrong).
Stage = Literal["syntax", "schema", "content"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of the content checker, precise enough for an editor to act on."""

    file: str
    line: int | None
    message: str
    hint: str = ""
    flow: str | None = None
    step: str | None = None
    severity: Severity = "error"
    stage: Stage = "content"

    def render(self, messages: Messages | None = None) -> str:
        """Format the problem as one or two lines for the report (English without `messages`)."""

        def word(text: str) -> str:
            return messages.word(text) if messages else text

        def text(english: str) -> str:
            return messages.text(english) if messages else english

        where = self.file + (f":{self.line}" if self.line else "")
        context = " ".join(
            part
            for part in (
                f"{word('flow')} '{self.flow}'" if self.flow else "",
                f"{word('step')} '{self.step}'" if self.step else "",
            )
            if part
        )
        head = (
            f"{where}: {word(self.severity)}: "
            + (f"[{context}] " if context else "")
            + text(self.message)
        )
        return head + (f"\n    {word('fix')}: {text(self.hint)}" if self.hint else "")
