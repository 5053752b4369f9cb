"""Console channel: an interactive chat in the terminal, and the JSONL machine protocol."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import IO, Any

from bot.core.actions import Message
from bot.services.conversation import ConversationService, Inbound

CHANNEL = "console"
MAX_LINE = 64_000


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
    return {"user": str(user), "text": text, "button": button}, None


async def run_jsonl(service: ConversationService, stdin: IO[bytes], stdout: IO[str]) -> None:
    """Serve the JSONL protocol until end of input."""
    for raw in _lines(stdin):
        if not raw.strip():
            continue
        request, error = parse_line(raw)
        if request is None:
            _emit(stdout, {"error": error})
            continue
        handled = await service.handle(
            Inbound(
                CHANNEL,
                request["user"],
                request["user"],
                text=request["text"],
                button=request["button"],
            )
        )
        _emit(stdout, {"user": request["user"], "replies": [m.to_json() for m in handled.messages]})


async def run_interactive(service: ConversationService, user: str = "console") -> None:
    """A chat in the terminal; buttons are numbered and can be chosen by typing the number."""
    last = (await service.handle(Inbound(CHANNEL, user, user, text="/start"))).messages
    _show(service, last)
    while True:
        try:
            line = await asyncio.to_thread(input, "> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        choices = [b for m in last for b in m.buttons]
        if line.strip().isdigit() and 0 < int(line) <= len(choices):
            inbound = Inbound(CHANNEL, user, user, button=choices[int(line) - 1].payload)
        else:
            inbound = Inbound(CHANNEL, user, user, text=line)
        last = (await service.handle(inbound)).messages
        _show(service, last)


def _show(service: ConversationService, messages: Iterable[Message]) -> None:
    number = 0
    for message in messages:
        print(f"Wegwijs: {message.text}")
        for button in message.buttons:
            number += 1
            print(f"   {number}) {button.title}")


def _lines(stdin: IO[bytes]) -> Iterable[bytes]:
    while True:
        raw = stdin.readline()
        if not raw:
            return
        yield raw


def _emit(stdout: IO[str], value: dict[str, Any]) -> None:
    stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    stdout.flush()
