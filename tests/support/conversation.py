"""A pupil talking to the pure engine, for table tests of flows (no I/O, no NLU server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from bot.content import load_content
from bot.flows.actions import Effect, Message
from bot.flows.engine import step
from bot.flows.events import ButtonPressed, CommandGiven, Event, FlowTriggered, PupilText
from bot.flows.model import Content
from bot.flows.nlu import Entity, NluResult
from bot.flows.state import State

CONTENT_DIR = Path(
    __import__("os").environ.get("T_CONTENT", Path(__file__).resolve().parents[2] / "content")
)


@cache
def real_content() -> Content:
    """The project's content, loaded once per test session (fails loudly when invalid)."""
    content, problems = load_content(CONTENT_DIR)
    if content is None:
        raise AssertionError("\n".join(p.render() for p in problems))
    return content


def loaded_once(content_dir: Path) -> Content:
    """The content of `content_dir`, loaded once per test process while its files stay as they
    are (an app built per test then skips the load; a changed file loads it again)."""
    folder = content_dir.resolve()
    stamp = tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*")) if p.is_file()
    )
    return _loaded(folder, stamp)


@lru_cache(maxsize=4)
def _loaded(content_dir: Path, stamp: tuple[tuple[str, int, int], ...]) -> Content:
    content, problems = load_content(content_dir)
    if content is None:
        raise AssertionError("\n".join(p.render() for p in problems))
    return content


def nlu(intent: str | None, confidence: float = 0.95, **entities: str) -> NluResult:
    """Build an NLU result as Rasa would return it."""
    return NluResult(intent, confidence, tuple(Entity(k, v, v) for k, v in entities.items()))


@dataclass
class Conversation:
    """Drives the engine like a pupil would; keeps every reply for assertions."""

    content: Content = field(default_factory=real_content)
    state: State = field(default_factory=State)
    effects: list[Effect] = field(default_factory=list)
    last: tuple[Message, ...] = ()

    def send(self, event: Event) -> tuple[Message, ...]:
        outcome = step(self.content, self.state, event)
        self.state = outcome.state
        self.effects += outcome.effects
        self.last = outcome.messages
        return outcome.messages

    def command(self, name: str, argument: str = "") -> tuple[Message, ...]:
        return self.send(CommandGiven(name, argument))

    def say(self, text: str, parsed: NluResult | None = None) -> tuple[Message, ...]:
        return self.send(PupilText(text, parsed))

    def press(self, title_or_payload: str) -> tuple[Message, ...]:
        """Press a button of the last reply by its title (or give a raw payload)."""
        for message in self.last:
            for button in message.buttons:
                if button.title == title_or_payload:
                    return self.send(ButtonPressed(button.payload))
        return self.send(ButtonPressed(title_or_payload))

    def trigger(self, flow: str) -> tuple[Message, ...]:
        return self.send(FlowTriggered(flow))

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.last]

    @property
    def buttons(self) -> list[str]:
        return [b.title for m in self.last for b in m.buttons]

    @property
    def where(self) -> tuple[str, str] | None:
        frame = self.state.waiting
        return (frame.flow, frame.step) if frame else None
