"""Typed, immutable model of the content an editor writes in `content/`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot.flows.actions import ENGINE_BUILTINS, Builtin
from bot.flows.conditions import Condition
from bot.flows.listening import Listening
from bot.flows.ports import CatalogView, PlaceFinder
from bot.flows.text import normalize

StepKind = Literal["say", "ask", "set", "action", "call", "link", "noop"]
ResumePolicy = Literal["always", "ask", "never"]
SlotType = Literal["choice", "number", "yes_no", "location", "text"]
END = "END"


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """A button on an ask step."""

    title: str
    value: str
    intents: tuple[str, ...] = ()
    match: tuple[str, ...] = ()
    line: int | None = None
    # normalised once at load (matching never normalises content again per message):
    # `heard`: title, value and match words; `match_heard`: the match words, in order
    heard: frozenset[str] = field(init=False, repr=False, compare=False)
    match_heard: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        match_heard = tuple(normalize(m) for m in self.match)
        object.__setattr__(self, "match_heard", match_heard)
        object.__setattr__(self, "heard", frozenset(
            (normalize(self.title), normalize(self.value), *match_heard)))


@dataclass(frozen=True, slots=True)
class Branch:
    """One entry of a `next` list; `condition` None means `else` (or a plain target)."""

    condition: Condition | None
    target: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step of a flow."""

    id: str
    kind: StepKind
    line: int | None = None
    texts: tuple[str, ...] = ()
    collect: str | None = None
    buttons: tuple[ButtonSpec, ...] = ()
    free_text: bool = True
    skippable: bool = False
    ask_again: bool = False
    invalid: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    action: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    flow_target: str | None = None
    next: tuple[Branch, ...] = ()
    explicit_id: bool = True


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """A conversation: an ordered list of steps."""

    id: str
    file: str
    line: int | None
    title: str
    description: str
    steps: tuple[StepSpec, ...]
    # Going back to this flow after a disclosure (bot.flows.risk): always, ask first, never.
    resume_after_risk: ResumePolicy = "always"

    def index(self, step_id: str) -> int | None:
        """Return the position of a step, or None."""
        return next((i for i, s in enumerate(self.steps) if s.id == step_id), None)

    def step(self, step_id: str) -> StepSpec | None:
        """Return the step with this id, or None."""
        i = self.index(step_id)
        return None if i is None else self.steps[i]


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """A slot: a named value the conversation remembers."""

    name: str
    type: SlotType
    minimum: float | None = None
    maximum: float | None = None
    private: bool = False
    line: int | None = None
    file: str = ""


@dataclass(frozen=True, slots=True)
class Patterns:
    """What happens everywhere, whatever flow the pupil is in."""

    start_flow: str = "welcome"
    menu_flow: str = "welcome"
    commands: Mapping[str, str] = field(default_factory=dict)
    resets: frozenset[str] = frozenset()
    command_descriptions: Mapping[str, str] = field(default_factory=dict)
    exact: Mapping[str, str] = field(default_factory=dict)
    global_intents: Mapping[str, str] = field(default_factory=dict)
    topics: Mapping[str, str] = field(default_factory=dict)
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    yes_words: tuple[str, ...] = ()
    no_words: tuple[str, ...] = ()
    skip_words: tuple[str, ...] = ()
    number_words: Mapping[str, int] = field(default_factory=dict)
    rephrase: str = ""
    offer: str = ""
    max_misses: int = 2
    confidence: float = 0.6
    topic_confidence: float = 0.75
    # keywords, yes_words, no_words and skip_words normalised once at load
    keywords_heard: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    yes_heard: frozenset[str] = field(init=False, repr=False, compare=False)
    no_heard: frozenset[str] = field(init=False, repr=False, compare=False)
    skip_heard: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, words in (("yes_heard", self.yes_words), ("no_heard", self.no_words),
                            ("skip_heard", self.skip_words)):
            object.__setattr__(self, name, frozenset(normalize(w) for w in words))
        object.__setattr__(self, "keywords_heard", {
            intent: tuple(normalize(w) for w in words) for intent, words in self.keywords.items()})


@dataclass(frozen=True, slots=True)
class BankAnswer:
    """An answer from the question bank: its texts and follow-up buttons (title, payload)."""

    id: str
    texts: tuple[str, ...]
    follow_up: tuple[tuple[str, str], ...] = ()


class QuestionBankPort(Protocol):
    """Finds the answer a person wrote to a pupil's question (see bot.catalog.questions)."""

    def answer(self, text: str) -> BankAnswer | None: ...


@dataclass(frozen=True, slots=True)
class Content:
    """Everything loaded from `content/`, validated."""

    flows: Mapping[str, FlowSpec]
    slots: Mapping[str, SlotSpec]
    patterns: Patterns
    texts: Mapping[str, str]
    catalog: CatalogView | None = None
    # The safety lexicon and the counsellor texts: the flows never read them; the safety layer's
    # built-in actions, the conversation and the handoff narrow them to their own types.
    safety: object = None
    places: PlaceFinder | None = None
    counsellor: object = None
    # The built-in actions flows may use (`action: name`): the engine's own, plus those the
    # loader of the whole content (bot.content) binds to the catalog and the safety layer.
    actions: Mapping[str, Builtin] = field(default_factory=lambda: ENGINE_BUILTINS)
    listening: Listening = field(default_factory=Listening)
    questions: QuestionBankPort | None = None

    def text(self, key: str, **values: object) -> str:
        """Return a system text by key, with `{name}` placeholders filled."""
        template = self.texts.get(key, key)
        for name, value in values.items():
            template = template.replace("{" + name + "}", str(value))
        return template
