"""One engine step in the making: the stack of flows, slots and messages of a pupil while the
engine reacts to one event (see bot.flows.engine). Pure: no I/O, never awaits.

Just over 400 lines: one class, the moves through the stack of flows, which belong together;
what to do when going back after a disclosure is decided in bot.flows.risk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.flows import answers, risk
from bot.flows.actions import (
    BuiltinCall,
    Button,
    Effect,
    ForgetPupil,
    Message,
)
from bot.flows.answers import SKIPPED
from bot.flows.model import END, Content, StepSpec
from bot.flows.nlu import NluResult
from bot.flows.state import HISTORY_LIMIT, Frame, State
from bot.flows.text import fill, normalize

MAX_STEPS_PER_EVENT = 200
GLOBAL_PREFIX = "!"
HUMAN_PAYLOAD = "!intent:ask_human"
TELL = "tell"
MAX_PAYLOAD = 64  # Telegram's limit for callback data


@dataclass(frozen=True, slots=True)
class Outcome:
    """The new state, the messages to send and the effects to carry out."""

    state: State
    messages: tuple[Message, ...]
    effects: tuple[Effect, ...] = ()
    # For each effect, how many of `messages` came before it: what the effect adds (a
    # handoff's waiting text) goes there, before a question the flow asks again after it.
    effect_at: tuple[int, ...] = ()
    # What the engine noticed about the pupil's message, for tests and listening figures.
    notes: tuple[str, ...] = ()


def button_payload(flow: str, step_id: str, value: str) -> str:
    """The payload of a flow button: `<flow>.<step>:<value>`."""
    return f"{flow}.{step_id}:{value}"


class Run:
    """Mutable helper used within one call of `step`; nothing escapes it but the Outcome."""

    # (what the pupil's free text makes of it is decided in bot.flows.turn)

    def __init__(self, content: Content, state: State) -> None:
        self.content = content
        self.patterns = content.patterns
        self.stack = list(state.stack)
        self.slots: dict[str, Any] = dict(state.slots)
        self.misses = state.misses
        self.history = list(state.history)
        self.messages: list[Message] = []
        self.effects: list[Effect] = []
        self.effect_at: list[int] = []
        self._unplaced: list[tuple[int, int]] = []  # (effect index, stack depth at its action)
        self.degraded = False
        self.memory: dict[str, Any] = dict(state.memory)
        self.notes: list[str] = []
        self._repeated: list[str] = []  # facts not told again this turn (offered "again")
        # slots the pupil's message filled this turn (in passing): their questions are skipped
        # even where a flow asks them again each time
        self.fresh: set[str] = set()

    def outcome(self) -> Outcome:
        self._offer_again()
        state = State(
            tuple(self.stack), self.slots, self.misses, tuple(self.history[-HISTORY_LIMIT:]),
            self.memory,
        )
        self._place_effects(everything=True)
        return Outcome(state, tuple(self.messages), tuple(self.effects), tuple(self.effect_at),
                       tuple(dict.fromkeys(self.notes)))

    def _place_effects(self, everything: bool = False) -> None:
        """Fix where an effect's messages go: after the flow that ran its action has finished
        (so a handoff's waiting text comes before the question of the flow it interrupted),
        or at the end of the turn."""
        for index, depth in list(self._unplaced):
            if everything or len(self.stack) < depth:
                self.effect_at[index] = len(self.messages)
                self._unplaced.remove((index, depth))

    # --- entry points -------------------------------------------------------------------

    def command(self, name: str, argument: str) -> None:
        name = name.lower()
        if name == "start":
            self.start(argument)
        elif name in {"terug", "back"}:
            self.back()
        elif name in self.patterns.commands and name in self.patterns.resets:
            flow = self.patterns.commands[name]
            if flow == self.patterns.menu_flow:
                self.show_menu()  # "/menu": the menu's question, not the welcome again
            else:
                self.begin(flow, replace_all=True)
        elif name in self.patterns.commands:
            self.interrupt(self.patterns.commands[name])
        else:
            self.say_text("unknown_command")
            self.reask()

    def start(self, argument: str) -> None:
        self.stack.clear()
        self.history.clear()
        self.misses = 0
        network = self._deep_link_network(argument)
        if network:
            self.slots["network"] = network
        self.begin(self.patterns.start_flow)

    def button(self, payload: str) -> None:
        if payload.startswith(GLOBAL_PREFIX):
            self.global_payload(payload[1:])
            return
        flow, _, rest = payload.partition(".")
        step_id, _, value = rest.partition(":")
        waiting = self.stack[-1] if self.stack else None
        spec = self.step_of(waiting) if waiting else None
        if waiting is None or spec is None or (flow, step_id) != (waiting.flow, waiting.step):
            self.say_text("stale_button")
            self.reask(idle_menu=True)
            return
        if value == SKIPPED and spec.skippable:
            self.answer(spec, SKIPPED)
            return
        chosen = next((b for b in spec.buttons if b.value == value), None)
        if chosen is None:
            self.say_text("stale_button")
            self.reask()
            return
        self.answer(spec, chosen.value)

    def global_payload(self, payload: str) -> None:
        kind, _, name = payload.partition(":")
        if kind == "intent" and name in self.patterns.global_intents:
            self.interrupt(self.patterns.global_intents[name])
        elif kind == "flow" and name in self.content.flows:
            self.interrupt(name)
        elif kind == "command":
            self.command(name, "")
        elif kind == "switch" and name in self.content.flows:
            self.interrupt(name)
        elif kind == "stay":
            self.reask(idle_menu=True)
        elif kind == "again":
            for fact in name.split(","):
                self.tell(fact, again=True)
            self.reask(idle_menu=True)
        elif kind == "route" and "explain_route" in self.content.actions:
            self.run_action("explain_route", {"route": name})
            self.reask(idle_menu=True)
        else:
            self.say_text("stale_button")
            self.reask(idle_menu=True)

    def take_answer(self, spec: StepSpec, text: str, nlu: NluResult | None, strict: bool) -> bool:
        """Use the text as the answer to the waiting question when it fits."""
        found = answers.interpret(self.content, spec, text, nlu, strict)
        if found is None:
            return False
        self.slots.update(found.slots)
        self.answer(spec, found.value)
        return True

    # --- moving through flows -----------------------------------------------------------

    def answer(self, spec: StepSpec, value: Any) -> None:
        self.history.append(tuple(self.stack))
        if spec.collect:
            self.slots[spec.collect] = value
        self.misses = 0
        self.go_next(spec)
        self.advance()

    def interrupt(self, flow: str) -> None:
        """Call a flow on top of whatever is going on; afterwards the bot asks again."""
        if flow not in self.content.flows:
            self.say_text("unknown_command")
            self.reask()
            return
        self.misses = 0
        self.stack.append(Frame(flow, self.content.flows[flow].steps[0].id))
        self.advance()

    def begin(self, flow: str, replace_all: bool = False) -> None:
        if replace_all:
            self.stack.clear()
        self.misses = 0
        self.stack.append(Frame(flow, self.content.flows[flow].steps[0].id))
        self.advance()

    def show_menu(self) -> None:
        """Start again at the menu flow's first question, asked without what comes before it
        (the welcome: the pupil saw it when the conversation began)."""
        flow = self.content.flows[self.patterns.menu_flow]
        question = next((step for step in flow.steps if step.kind == "ask"), None)
        if question is None:
            self.begin(flow.id, replace_all=True)
            return
        self.stack = [Frame(flow.id, question.id)]
        self.misses = 0
        self.reask()

    def back(self) -> None:
        if not self.history:
            self.say_text("back_nothing")
            self.reask(idle_menu=True)
            return
        self.stack = list(self.history.pop())
        self.misses = 0
        self.reask()

    def reask(self, idle_menu: bool = False) -> None:
        """Ask the waiting question again, or offer the menu when idle."""
        frame = self.stack[-1] if self.stack else None
        spec = self.step_of(frame) if frame else None
        if spec is not None and spec.kind == "ask" and frame is not None:
            self.emit_question(frame.flow, spec, again=True)
        elif idle_menu:
            self._place_effects()  # (emit_question does it for a question)
            self.messages.append(
                Message(
                    self.content.text("idle_hint"),
                    (
                        Button(self.content.text("menu_button"), "!command:menu"),
                        Button(self.content.text("human_button"), HUMAN_PAYLOAD),
                    ),
                )
            )

    def advance(self) -> None:
        """Run steps until the bot waits for an answer or no flow is left."""
        # questions that waited under the flow on top: asked before, so asked again without
        # their lead-in when that flow ends ("Fijn dat je even stilstaat ..." comes once)
        interrupted = set(self.stack[:-1])
        for _ in range(MAX_STEPS_PER_EVENT):
            if not self.stack:
                return
            frame = self.stack[-1]
            spec = self.step_of(frame)
            if spec is None:
                self.stack.pop()
                continue
            if spec.kind == "ask":
                if spec.collect and (spec.collect in self.fresh
                                     or self.known(spec.collect, again=spec.ask_again)):
                    self.go_next(spec)
                    continue
                self.emit_question(frame.flow, spec, again=frame in interrupted)
                return
            self.execute(frame, spec)
        self.stack.clear()
        self.say_text("loop_error")

    def execute(self, frame: Frame, spec: StepSpec) -> None:
        if spec.kind == "say":
            for text in spec.texts:
                self.say(fill(text, self.slots))
        elif spec.kind == "set":
            for name, value in spec.values.items():
                if value is None:
                    self.slots.pop(name, None)
                else:
                    self.slots[name] = value
        elif spec.kind == "action":
            self.run_builtin(spec)
        elif spec.kind == "call" and spec.flow_target:
            target = self.content.flows[spec.flow_target]
            self.stack.append(Frame(target.id, target.steps[0].id))
            return
        elif spec.kind == "link" and spec.flow_target:
            target = self.content.flows[spec.flow_target]
            self.stack[-1] = Frame(target.id, target.steps[0].id)
            return
        self.go_next(spec)

    def known(self, slot: str, again: bool = False) -> bool:
        """The slot has a value the bot must not ask for again: any value for a question that
        is asked once, a real answer (not skipped) for what the bot remembers of the pupil."""
        value = self.slots.get(slot)
        if value is None:
            return False
        if not again:
            return True
        return slot in self.content.listening.remembered and value != SKIPPED

    def run_builtin(self, spec: StepSpec) -> None:
        if spec.action == TELL and isinstance(spec.params.get("fact"), str):
            self.tell(str(spec.params["fact"]))
            return
        if spec.action == risk.DROP_ACTION:
            del self.stack[:-1]
            return
        self.run_action(spec.action or "", spec.params)

    def tell(self, fact: str, again: bool = False) -> None:
        """Tell a fact once per conversation; a second time, offer to show it again."""
        told = list(self.memory.get("told", ()))
        if fact in told and not again:
            self._repeated.append(fact)
            self.notes.append("not_repeated")
            return
        self.run_action(TELL, {"fact": fact})
        if fact not in told:
            self.memory["told"] = [*told, fact]

    def _offer_again(self) -> None:
        """Instead of facts told before: one line saying so, with a button to read them again."""
        if not self._repeated:
            return
        listening = self.content.listening
        payload = GLOBAL_PREFIX + "again:" + ",".join(dict.fromkeys(self._repeated))
        self._repeated = []
        self.messages.append(Message(listening.told_before,
                                     (Button(listening.again_button, payload[:MAX_PAYLOAD]),)))

    def run_action(self, action: str, params: Mapping[str, Any]) -> None:
        builtin = self.content.actions.get(action)
        if builtin is None:
            return
        result = builtin.run(BuiltinCall(params, dict(self.slots), self.content))
        self.messages.extend(result.messages)
        for name, value in result.slots.items():
            if value is None:
                self.slots.pop(name, None)
            else:
                self.slots[name] = value
        for effect in result.effects:
            self._unplaced.append((len(self.effects), len(self.stack)))
            self.effects.append(effect)
            self.effect_at.append(len(self.messages))
        if any(isinstance(e, ForgetPupil) for e in result.effects):
            self.slots.clear()
            self.history.clear()
            del self.stack[:-1]

    def go_next(self, spec: StepSpec) -> None:
        """Move the top frame to the step after `spec`; pop the frame when its flow ends."""
        frame = self.stack[-1]
        flow = self.content.flows[frame.flow]
        target = self._target(spec)
        if target is None:
            index = flow.index(spec.id)
            position = (index if index is not None else len(flow.steps)) + 1
            target = flow.steps[position].id if position < len(flow.steps) else END
        if target != END:
            self.stack[-1] = Frame(frame.flow, target)
            return
        finished = self.stack.pop()
        if not self.stack:
            return
        caller = self.stack[-1]
        caller_spec = self.step_of(caller)
        if caller_spec is not None and caller_spec.kind == "call":
            self.go_next(caller_spec)
        else:
            self._resume(finished.flow)

    def _resume(self, finished: str) -> None:
        """Back to the flow that `finished` interrupted; after a disclosure maybe ask first."""
        found = risk.resumption(self.content, self.stack, self.slots, finished)
        if found.keep < len(self.stack):
            del self.stack[found.keep :]
            spec = self.step_of(self.stack[-1]) if self.stack else None
            if spec is not None and spec.kind == "call":  # as if the called flow had ended
                self.go_next(spec)
                return
        if found.ask_about is not None:
            self.slots[risk.TOPIC_SLOT] = found.ask_about
            first = self.content.flows[risk.RESUME_FLOW].steps[0].id
            self.stack.append(Frame(risk.RESUME_FLOW, first))  # asked by the caller's advance

    def _target(self, spec: StepSpec) -> str | None:
        for branch in spec.next:
            if branch.condition is None or branch.condition.evaluate(self.slots):
                return branch.target
        return None

    # --- output -------------------------------------------------------------------------

    def emit_question(self, flow: str, spec: StepSpec, again: bool = False) -> None:
        """Ask a step's question; asked again, only the question itself (not its lead-in)."""
        self._offer_again()
        self._place_effects()
        if spec.collect and self.known(spec.collect, again=True):
            self.notes.append("asked_known")
        texts = [fill(t, self.slots) for t in spec.texts] or [""]
        for text in [] if again else texts[:-1]:
            self.say(text)
        self.messages.append(Message(texts[-1], self.buttons_for(spec, flow)))

    def buttons_for(self, spec: StepSpec, flow: str | None = None) -> tuple[Button, ...]:
        frame = self.stack[-1] if self.stack else None
        flow_id = flow or (frame.flow if frame else "")
        buttons = [
            Button(fill(b.title, self.slots), button_payload(flow_id, spec.id, b.value))
            for b in spec.buttons
        ]
        if spec.skippable:
            buttons.append(
                Button(self.content.text("skip_button"), button_payload(flow_id, spec.id, SKIPPED))
            )
        return tuple(buttons)

    def say(self, text: str) -> None:
        if text.strip():
            self.messages.append(Message(text))

    def say_text(self, key: str) -> None:
        self.say(self.content.text(key))

    def step_of(self, frame: Frame | None) -> StepSpec | None:
        if frame is None:
            return None
        flow = self.content.flows.get(frame.flow)
        return flow.step(frame.step) if flow else None

    def _deep_link_network(self, argument: str) -> str | None:
        code = normalize(argument).replace(" ", "_")
        if not code:
            return None
        catalog = self.content.catalog
        if catalog is None:
            return None
        return code if code in catalog.networks else catalog.network_for_code(code)

