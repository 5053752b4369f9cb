"""Threat: input nobody thought of. Property-based tests drive the engine with random events over
the real content, and the JSONL channel with random lines: no crash, no corrupted state."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App, build, content_or_fail
from bot.channels import console
from bot.flows import engine
from bot.flows.events import ButtonPressed, CommandGiven, Event, FlowTriggered, PupilText
from bot.flows.model import Content
from bot.flows.nlu import ENTITIES, INTENTS, Entity, NluResult
from bot.flows.state import State
from bot.settings import Settings
from tests.privacy.support import SECRET, hardened_content

_CONTENT_ROOT: list[Path] = []


@cache
def _content() -> Content:
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="wegwijs-prop-"))
    _CONTENT_ROOT.append(root)
    return content_or_fail(hardened_content(root))


def _payloads(content: Content) -> list[str]:
    payloads = [f"!intent:{i}" for i in content.patterns.global_intents]
    payloads += [f"!flow:{f}" for f in content.flows]
    payloads += [f"!command:{c}" for c in content.patterns.commands]
    for flow in content.flows.values():
        for spec in flow.steps:
            payloads += [engine.button_payload(flow.id, spec.id, b.value) for b in spec.buttons]
            if spec.skippable:
                payloads.append(engine.button_payload(flow.id, spec.id, engine.SKIPPED))
    return payloads


def _words(content: Content) -> list[str]:
    words = [b.title for f in content.flows.values() for s in f.steps for b in s.buttons]
    p = content.patterns
    words += [*p.yes_words, *p.no_words, *p.skip_words, *p.number_words, *p.exact]
    words += [w for ws in p.keywords.values() for w in ws]
    words += ["Genk", "3600", "Antwerpen", "Borgerhout", "12", "-3", "999", "terug", "stop"]
    return words


def events(content: Content) -> st.SearchStrategy[Event]:
    """Random events, biased towards things the content understands."""
    nlu = st.none() | st.builds(
        NluResult,
        st.sampled_from([*INTENTS, None, "nonsense"]),
        st.floats(0, 1),
        st.lists(
            st.builds(
                Entity,
                st.sampled_from(sorted(ENTITIES)),
                st.sampled_from(["Genk", "3600", "Gent", "xyz", ""]),
                st.sampled_from(["Genk", "3600", "Gent", "xyz", ""]),
            ),
            max_size=2,
        ).map(tuple),
    )
    text = st.sampled_from(_words(content)) | st.text(max_size=60)
    return st.one_of(
        st.builds(PupilText, text, nlu, st.booleans()),
        st.builds(ButtonPressed, st.sampled_from(_payloads(content)) | st.text(max_size=40)),
        st.builds(
            CommandGiven,
            st.sampled_from([*content.patterns.commands, "start", "terug", "bogus"]),
            st.text(max_size=20),
        ),
        st.builds(FlowTriggered, st.sampled_from(sorted(content.flows))),
    )


def assert_valid(content: Content, state: State) -> None:
    """The state survives JSON and every frame points where the engine can go on."""
    data = json.loads(json.dumps(state.to_json(), ensure_ascii=False))
    assert State.from_json(data) == state
    for depth, frame in enumerate(state.stack):
        flow = content.flows.get(frame.flow)
        assert flow is not None, frame
        spec = flow.step(frame.step)
        assert spec is not None, frame
        if depth == len(state.stack) - 1:
            assert spec.kind == "ask", f"waiting at a {spec.kind} step: {frame}"
        else:
            assert spec.kind in {"ask", "call"}, f"interrupted at a {spec.kind} step: {frame}"
    for stack in state.history:
        for frame in stack:
            assert frame.flow in content.flows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engine_survives_any_sequence_of_events_with_a_valid_state(data: st.DataObject) -> None:
    content = _content()
    state = State()
    for event in data.draw(st.lists(events(content), max_size=25)):
        outcome = engine.step(content, state, event)
        state = outcome.state
        assert_valid(content, state)
        for message in outcome.messages:
            assert isinstance(message.text, str) and message.text.strip()
            assert all(b.payload and b.title for b in message.buttons)


def _json_line() -> st.SearchStrategy[bytes]:
    value = st.one_of(
        st.text(max_size=30),
        st.integers(),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
    request = st.fixed_dictionaries(
        {"user": st.sampled_from(["a", "b", 7, "", None, True])},
        optional={
            "text": st.text(max_size=80) | value,
            "button": st.sampled_from(_payloads(_content())) | value,
            "id": st.text(max_size=8) | st.integers(),
        },
    )
    return request.map(lambda d: json.dumps(d).encode()) | st.binary(max_size=80)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, App]]:
    data_dir = tmp_path_factory.mktemp("jsonl")
    env = {
        "WEGWIJS_SECRET_KEY": SECRET,
        "WEGWIJS_CONTENT_DIR": str(hardened_content(tmp_path_factory.mktemp("c"))),
    }
    with asyncio.Runner() as loop:
        app = loop.run(build(Settings.from_env(env, data_dir=data_dir)))
        try:
            yield loop, app
        finally:
            loop.run(app.close())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_jsonl_channel_answers_every_random_line_and_keeps_going(
    runner: tuple[asyncio.Runner, App], data: st.DataObject
) -> None:
    loop, app = runner
    lines = [line.replace(b"\n", b" ") for line in data.draw(st.lists(_json_line(), max_size=12))]
    stdin = io.BytesIO(b"\n".join(lines) + b"\n")
    stdout = io.StringIO()
    loop.run(console.run_jsonl(app.service, stdin, stdout, patience=0.0))
    out = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(out) == sum(1 for line in lines if line.strip())
    for item in out:
        assert ("error" in item) != ("replies" in item), item
    for user in ("a", "b", "7"):
        state = loop.run(_state(app, user))
        if state is not None:
            assert_valid(app.content, state)


async def _state(app: App, user: str) -> State | None:
    from tests.privacy.scenario import pupil_state

    return await pupil_state(app, user, channel="console")


def teardown_module() -> None:
    import shutil

    for root in _CONTENT_ROOT:
        shutil.rmtree(root, ignore_errors=True)
