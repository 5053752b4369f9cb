"""Cross-reference checks over the loaded content, and the report `wegwijs content check` prints."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from bot.flows import quality, values
from bot.flows.answers import SKIPPED
from bot.flows.engine import GLOBAL_PREFIX, button_payload
from bot.flows.messages import ENGLISH, Messages
from bot.flows.model import END, Content, FlowSpec, StepSpec
from bot.flows.nlu import INTENTS
from bot.flows.problems import Problem, Severity
from bot.flows.risk import RESUME_FLOW
from bot.flows.text import placeholders

TELEGRAM_MAX_TEXT = 4096
TELEGRAM_MAX_PAYLOAD = 64
# Telegram cuts long button titles on a phone screen.
MAX_BUTTON_TITLE = 30
SLOTS_SET_BY_ENGINE = frozenset({"municipality", "province", "network"})
REQUIRED_TEXTS = (
    "stale_button",
    "empty_message",
    "unknown_command",
    "back_nothing",
    "skip_button",
    "human_button",
    "menu_button",
    "idle_hint",
    "loop_error",
    "invalid_number",
    "invalid_yes_no",
    "invalid_choice",
    "location_unknown",
    "too_long",
    "slow_down",
    "unsupported_media",
    "only_private_chats",
    "error_generic",
    "degraded_hint",
    "flow_restarted",
)
_Report = Callable[..., None]


def cross_references(
    content: Content, started_by_code: Collection[str] = (), required: Collection[str] = ()
) -> list[Problem]:
    """Every check that needs more than one file: references, reachability, limits.

    `started_by_code`: flows the code starts itself (never reported as unused); `required`:
    flows a capability cannot work without (an error when missing). Each capability declares
    its own; the loader of the whole content (bot.content) passes them in.
    """
    problems = list(_pattern_problems(content))
    for flow in content.flows.values():
        problems += _flow_problems(content, flow)
    problems += _text_problems(content)
    problems += _unused_flows(content, {*started_by_code, *required, RESUME_FLOW})
    problems += _missing_flows(content, required)
    problems += _resume_problems(content)
    problems += quality.check(content)
    problems += values.check(content)
    return problems


def _pattern_problems(content: Content) -> Iterator[Problem]:
    p = content.patterns
    file = "content/patterns.yml"
    named = [("start_flow", p.start_flow), ("menu_flow", p.menu_flow)]
    named += [(f"commands/{k}", v) for k, v in p.commands.items()]
    named += [(f"global_intents/{k}", v) for k, v in p.global_intents.items()]
    named += [(f"topics/{k}", v) for k, v in p.topics.items()]
    for where, flow in named:
        if flow not in content.flows:
            yield Problem(
                file,
                None,
                f"'{where}' names flow '{flow}', which does not exist",
                "use the id of a flow in content/flows/",
            )
    for where, intent in (
        [("global_intents", i) for i in p.global_intents]
        + [("topics", i) for i in p.topics]
        + [("keywords", i) for i in p.keywords]
    ):
        if intent not in INTENTS:
            yield Problem(
                file,
                None,
                f"'{where}' names intent '{intent}', which the NLU does not know",
                "use one of: " + ", ".join(INTENTS),
            )
    for word, command in p.exact.items():
        if command not in p.commands and command not in {"start", "terug", "back"}:
            yield Problem(
                file,
                None,
                f"'exact/{word}' names command '{command}', which does not exist",
                "use a command listed under 'commands'",
            )


def _flow_problems(content: Content, flow: FlowSpec) -> list[Problem]:
    problems: list[Problem] = []

    def problem(
        step: StepSpec | None,
        message: str,
        hint: str,
        line: int | None = None,
        severity: Severity = "error",
    ) -> None:
        problems.append(
            Problem(
                flow.file,
                line or (step.line if step else flow.line),
                message,
                hint,
                flow.id,
                step.id if step else None,
                severity,
            )
        )

    seen: set[str] = set()
    for step in flow.steps:
        if step.id in seen:
            problem(step, f"step id '{step.id}' is used twice in this flow", "rename one of them")
        seen.add(step.id)
    for step in flow.steps:
        _step_problems(content, flow, step, problem)
    reachable = _reachable(flow)
    for step in flow.steps:
        if step.id not in reachable:
            problem(step, "this step can never be reached", "point a 'next' at it, or remove it")
    return problems


def _step_problems(content: Content, flow: FlowSpec, step: StepSpec, problem: _Report) -> None:
    ids = {s.id for s in flow.steps}
    for branch in step.next:
        if branch.target != END and branch.target not in ids:
            problem(
                step,
                f"'next' goes to step '{branch.target}', which is not in this flow",
                "use a step id of this flow, or END",
            )
        if branch.condition is not None:
            for slot in branch.condition.slots - set(content.slots):
                problem(
                    step,
                    f"condition uses slot '{slot}', which is not declared",
                    "declare it in content/slots.yml or fix the spelling",
                )
    if step.next and step.next[-1].condition is not None:
        problem(
            step,
            "the 'next' list has no 'else': when no condition holds, the flow "
            "would fall through silently",
            "add '- else: <step or END>' as the last entry",
        )
    if step.kind in {"call", "link"} and step.flow_target not in content.flows:
        problem(
            step,
            f"'{step.kind}' names flow '{step.flow_target}', which does not exist",
            "use the id of a flow in content/flows/",
        )
    if step.kind == "set":
        for slot in set(step.values) - set(content.slots):
            problem(
                step,
                f"'set' uses slot '{slot}', which is not declared",
                "declare it in content/slots.yml",
            )
    if step.kind == "action":
        _action_problems(content, step, problem)
    if step.kind == "ask":
        _ask_problems(content, flow, step, problem)


def _action_problems(content: Content, step: StepSpec, problem: _Report) -> None:
    known = content.actions
    builtin = known.get(step.action or "")
    if builtin is None:
        problem(step, f"unknown action '{step.action}'", "use one of: " + ", ".join(sorted(known)))
        return
    for param in set(step.params) - builtin.params:
        problem(
            step,
            f"action '{step.action}' has no parameter '{param}'",
            "allowed: " + (", ".join(sorted(builtin.params)) or "none"),
        )
    for param in builtin.required - set(step.params):
        problem(step, f"action '{step.action}' needs the parameter '{param}'", "add it to the step")


def _ask_problems(content: Content, flow: FlowSpec, step: StepSpec, problem: _Report) -> None:
    if not step.explicit_id:
        problem(
            step,
            "an 'ask' step needs an 'id' (buttons and answers refer to it)",
            "add 'id: <name>' to the step",
        )
    slot = content.slots.get(step.collect or "")
    if slot is None:
        problem(
            step,
            f"'collect' names slot '{step.collect}', which is not declared",
            "declare it in content/slots.yml",
        )
    elif slot.type == "choice" and not step.buttons:
        problem(
            step,
            f"slot '{slot.name}' is a choice, but this question has no buttons",
            "add buttons, or make the slot of type text",
        )
    values = [b.value for b in step.buttons]
    for value in {v for v in values if values.count(v) > 1}:
        problem(step, f"two buttons have the value '{value}'", "give each button its own value")
    for value in [*values, SKIPPED]:
        payload = button_payload(flow.id, step.id, value)
        if len(payload.encode()) > TELEGRAM_MAX_PAYLOAD:
            problem(
                step,
                f"button payload '{payload}' is {len(payload.encode())} bytes; "
                f"Telegram allows {TELEGRAM_MAX_PAYLOAD}",
                "shorten the flow id, step id or button value",
            )
    for button in step.buttons:
        if len(button.title) > MAX_BUTTON_TITLE:
            problem(
                step,
                f"button title '{button.title}' has {len(button.title)} characters; "
                "a phone cuts it off",
                f"keep button titles to {MAX_BUTTON_TITLE} characters; put the explanation "
                "in the question",
                button.line,
                "warning",
            )
        for intent in set(button.intents) - set(INTENTS):
            problem(
                step,
                f"button '{button.title}' names unknown intent '{intent}'",
                "use one of the intents in docs/intents.md",
            )


def _reachable(flow: FlowSpec) -> set[str]:
    reachable: set[str] = set()
    todo = [flow.steps[0].id] if flow.steps else []
    while todo:
        step_id = todo.pop()
        if step_id in reachable or step_id == END:
            continue
        reachable.add(step_id)
        index = flow.index(step_id)
        if index is None:
            continue
        step = flow.steps[index]
        targets = [b.target for b in step.next]
        falls_through = not step.next or step.next[-1].condition is not None
        if falls_through and step.kind != "link" and index + 1 < len(flow.steps):
            targets.append(flow.steps[index + 1].id)
        todo += targets
    return reachable


def _text_problems(content: Content) -> Iterator[Problem]:
    for key in REQUIRED_TEXTS:
        if key not in content.texts:
            yield Problem(
                "content/texts.yml",
                None,
                f"text '{key}' is missing",
                "the bot needs it; add it under 'texts'",
            )
    for flow in content.flows.values():
        for step in flow.steps:
            candidates = [*step.texts, *(b.title for b in step.buttons)]
            candidates += [step.invalid] if step.invalid else []
            for text in candidates:
                for slot in placeholders(text) - set(content.slots) - SLOTS_SET_BY_ENGINE:
                    yield Problem(
                        flow.file,
                        step.line,
                        f"text uses '{{{slot}}}', which is not a declared slot",
                        "declare the slot or fix the spelling",
                        flow.id,
                        step.id,
                    )
                if len(text) > TELEGRAM_MAX_TEXT:
                    yield Problem(
                        flow.file,
                        step.line,
                        f"a message is {len(text)} characters; Telegram allows {TELEGRAM_MAX_TEXT}",
                        "split it into several messages",
                        flow.id,
                        step.id,
                    )


def _unused_flows(content: Content, started_by_code: Collection[str]) -> Iterator[Problem]:
    p = content.patterns
    used = {
        *started_by_code,
        p.start_flow,
        p.menu_flow,
        *p.commands.values(),
        *p.global_intents.values(),
        *p.topics.values(),
    }
    for flow in content.flows.values():
        for step in flow.steps:
            if step.flow_target:
                used.add(step.flow_target)
    for flow in content.flows.values():
        if flow.id not in used:
            yield Problem(
                flow.file,
                flow.line,
                f"flow '{flow.id}' is never started",
                "call or link it from another flow, or map a command, intent or "
                "topic to it in patterns.yml",
                flow.id,
                severity="warning",
            )


def _missing_flows(content: Content, required: Collection[str]) -> Iterator[Problem]:
    for flow_id in required:
        if flow_id not in content.flows:
            yield Problem(
                "content/flows/",
                None,
                f"flow '{flow_id}' is missing; the safety layer starts it",
                "restore content/flows/crisis.yml from git",
            )


def _resume_problems(content: Content) -> Iterator[Problem]:
    """A flow that asks before it is resumed after a disclosure needs the flow that asks."""
    if RESUME_FLOW in content.flows:
        return
    for flow in content.flows.values():
        if flow.resume_after_risk == "ask":
            yield Problem(
                flow.file,
                flow.line,
                f"flow '{flow.id}' has resume_after_risk: ask, but there is no flow "
                f"'{RESUME_FLOW}' to ask with",
                f"add the flow '{RESUME_FLOW}' (see content/flows/crisis.yml in git), "
                "or use resume_after_risk: always or never",
                flow.id,
            )


_STAGE_ORDER = {"syntax": 0, "schema": 1, "content": 2}


def report(
    problems: list[Problem], content_dir: Path, messages: Messages = ENGLISH
) -> str:
    """The full report: syntax errors first, then schema errors, the rest, then warnings."""
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    ordered = sorted(
        problems,
        key=lambda p: (p.severity != "error", _STAGE_ORDER[p.stage], p.file, p.line or 0),
    )
    lines = [p.render(messages) for p in ordered]
    if any(p.stage != "content" for p in errors):
        lines.append(messages.text(
            "Links between files (flows, slots, steps) are checked once the errors above are fixed."
        ))
    verdict = "content is valid" if not errors else "content is NOT valid"
    counted = f"{verdict}: {len(errors)} error(s), {len(warnings)} warning(s)"
    lines.append(f"{content_dir}: " + messages.text(counted))
    return "\n".join(lines)


__all__ = ["GLOBAL_PREFIX", "cross_references", "report"]
