"""Console channel: an interactive chat in the terminal, and the JSONL machine protocol."""

from __future__ import annotations

import json
import logging
import signal
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import IO, Any

from bot.conversation.guard import PATIENCE, wait_for_store
from bot.conversation.seed import pupil_state, seed_pupil, waiting_question
from bot.conversation.service import ConversationService, Inbound
from bot.flows.actions import Message
from bot.flows.state import State

log = logging.getLogger(__name__)

CHANNEL = "console"
MAX_LINE = 64_000
MAX_ID = 64


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """Turn one JSONL input line into a request, or an error message (English, for machines)."""
    if len(raw) > MAX_LINE:
        return None, f"line longer than {MAX_LINE} bytes"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "line is not valid UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(data, dict):
        return None, "expected a JSON object"
    user = data.get("user")
    if not isinstance(user, str | int) or isinstance(user, bool) or not str(user).strip():
        return None, "field 'user' (a non-empty string) is required"
    text, button = data.get("text"), data.get("button")
    if (text is None) == (button is None):
        return None, "give exactly one of 'text' or 'button'"
    if not isinstance(text if text is not None else button, str):
        return None, "'text' and 'button' must be strings"
    # optional "id": a message id, so a resent line is handled only once.
    update_id = data.get("id")
    if update_id is not None and (
        not isinstance(update_id, str | int) or isinstance(update_id, bool)
        or not str(update_id).strip() or len(str(update_id)) > MAX_ID
    ):
        return None, f"field 'id' must be a non-empty string of at most {MAX_ID} characters"
    return {"user": str(user), "text": text, "button": button,
            "id": None if update_id is None else str(update_id)}, None


async def run_jsonl(service: ConversationService, stdin: IO[bytes], stdout: IO[str],
                    patience: float = PATIENCE,
                    before_turn: Callable[[], object] = lambda: None) -> None:
    """Serve the JSONL protocol until end of input (`before_turn` runs before each line)."""
    for raw in _lines(stdin):
        if not raw.strip():
            continue
        before_turn()
        request, error = parse_line(raw)
        if request is None:
            _emit(stdout, {"error": error})
            continue
        inbound = Inbound(
            CHANNEL,
            request["user"],
            request["user"],
            update_id=request["id"],
            text=request["text"],
            button=request["button"],
        )
        # wait for the database instead of losing the message; the reply then
        # starts with the honest busy_retry text.
        try:
            handled, waited = await wait_for_store(
                partial(service.handle, inbound), patience=patience
            )
        except Exception:
            # A bug, not bad input: say so kindly (with 1813 and 112) and go on with the next
            # line; the log has the traceback, never the text.
            log.exception("a JSONL message failed")
            reply = Message(service.content.text("error_generic"))
            _emit(stdout, {"user": request["user"], "replies": [reply.to_json()]})
            continue
        if handled is None:
            _emit(stdout, {"user": request["user"],
                           "error": "database unavailable: message not handled, send it again"})
            continue
        messages = list(handled.messages)
        if waited:
            messages.insert(0, Message(service.content.text("busy_retry")))
        _emit(stdout, {"user": request["user"], "replies": [m.to_json() for m in messages]})


async def run_interactive(service: ConversationService, user: str = "console", *,
                          start: str | None = None, slots: Mapping[str, Any] | None = None,
                          debug: bool = False,
                          before_turn: Callable[[], object] = lambda: None) -> None:
    """A chat in the terminal; buttons are numbered and can be chosen by typing the number.

    Preview: `start` (flow or flow.step) and `slots` put the chat there instead of at /start;
    `debug` prints the flow, step and slots after each turn. `before_turn` runs before each
    message is handled (the CLI applies a pending content reload there).
    """
    # asyncio.run turns the first Ctrl-C into a task cancellation, which cannot interrupt a
    # blocking input(); here Ctrl-C should simply end the chat.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    last = await seed_pupil(service, CHANNEL, user, start, slots or {})
    if start is None:
        last = (await service.handle(Inbound(CHANNEL, user, user, text="/start"))).messages
    elif "." in start:  # at a step: show its question, as the pupil would have seen it
        state = await pupil_state(service, CHANNEL, user)
        last = waiting_question(service.content, state)
    _show(service, last)
    if debug:
        _show_state(await pupil_state(service, CHANNEL, user))
    while True:
        try:
            # Blocking on purpose: one person at a terminal, nothing else to run meanwhile, and
            # Ctrl-C must interrupt input() itself (a thread would keep the process alive).
            line = input("> ")  # noqa: ASYNC250
        except (EOFError, KeyboardInterrupt):
            print()
            return
        choices = [b for m in last for b in m.buttons]
        if line.strip().isdigit() and 0 < int(line) <= len(choices):
            inbound = Inbound(CHANNEL, user, user, button=choices[int(line) - 1].payload)
        else:
            inbound = Inbound(CHANNEL, user, user, text=line)
        async def busy() -> None:
            _show(service, [Message(service.content.text("busy_retry"))])

        before_turn()
        handled, _ = await wait_for_store(
            partial(service.handle, inbound), busy
        )
        if handled is not None:
            last = handled.messages
            _show(service, last)
        if debug:
            _show_state(await pupil_state(service, CHANNEL, user))


def _show(service: ConversationService, messages: Iterable[Message]) -> None:
    number = 0
    for message in messages:
        print(f"Wegwijs: {message.text}")
        for button in message.buttons:
            number += 1
            print(f"   {number}) {button.title}")


def _show_state(state: State) -> None:
    """The preview's debug line (console only): where the pupil is and what the bot knows."""
    where = " > ".join(f"{f.flow}.{f.step}" for f in state.stack) or "(no flow)"
    slots = ", ".join(f"{k}={v!r}" for k, v in sorted(state.slots.items())) or "(none)"
    print(f"   [debug] at {where} | slots: {slots}")


def _lines(stdin: IO[bytes]) -> Iterable[bytes]:
    while True:
        raw = stdin.readline(MAX_LINE + 1)
        if not raw:
            return
        # a huge line is never held in memory whole: skip to its end.
        rest = raw
        while len(rest) > MAX_LINE - 1 and not rest.endswith(b"\n"):
            rest = stdin.readline(MAX_LINE)
            if not rest:
                break
        yield raw


def _emit(stdout: IO[str], value: dict[str, Any]) -> None:
    stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    stdout.flush()
