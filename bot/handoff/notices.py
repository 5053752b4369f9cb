"""Pure helpers of the handoff: case summaries, counsellor messages, callback data, lanes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.flows.actions import Button
from bot.flows.model import Content
from bot.handoff.counsellor import ZONE, CounsellorTexts

CONSENTS = ("full", "summary", "none")
URGENT_LANE = "/urgent"
CALLBACK_PREFIX = "case"
MAX_CALLBACK = 64
MAX_TEXT = 4000
MAX_VALUE = 300
SKIPPED = "skipped"


def consent_of(value: Any) -> str:
    """The consent level from the slot; anything unexpected shares nothing."""
    return value if value in CONSENTS else "none"


def lane(destination: str, urgent: bool) -> str:
    """The outbox destination for a counsellor chat: urgent messages get their own queue.

    The outbox keeps strict order per destination, so urgent messages to the same chat use a
    separate destination (`tg:<chat>/urgent`) and are sent first (outbox priority).
    """
    return destination + URGENT_LANE if urgent else destination


def chat_of(destination: str | None) -> str | None:
    """The chat id inside a `tg:<chat>[/urgent]` destination."""
    if not destination or not destination.startswith("tg:"):
        return None
    return destination[3:].split("/", 1)[0]


def callback(case_id: int, action: str, argument: str | None = None) -> str:
    """Callback data of a counsellor button, e.g. `case:12:claim` (at most 64 bytes)."""
    data = f"{CALLBACK_PREFIX}:{case_id}:{action}" + (f":{argument}" if argument else "")
    if len(data.encode()) > MAX_CALLBACK:
        raise ValueError("callback data longer than Telegram allows")
    return data


def parse_callback(data: str) -> tuple[int, str, str | None] | None:
    """Read `case:<id>:<action>[:<argument>]`; None when it is something else."""
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != CALLBACK_PREFIX or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2], parts[3] if len(parts) == 4 else None


def local_time(moment: datetime, with_date: bool = True) -> str:
    """A moment as counsellors in Belgium read it (digits only, no words)."""
    local = moment.astimezone(ZoneInfo(ZONE))
    return f"{local:%d/%m %H:%M}" if with_date else f"{local:%H:%M}"


def choice_titles(content: Content) -> dict[str, dict[str, str]]:
    """For each slot filled by buttons: value -> button title, so summaries read naturally."""
    titles: dict[str, dict[str, str]] = {}
    for flow in content.flows.values():
        for step in flow.steps:
            if step.collect and step.buttons:
                known = titles.setdefault(step.collect, {})
                for button in step.buttons:
                    known.setdefault(button.value, button.title)
    return titles


def summary_lines(
    content: Content, texts: CounsellorTexts, slots: Mapping[str, Any], consent: str
) -> list[tuple[str, str]]:
    """What the counsellor may read: non-private answers, private ones only with full consent."""
    if consent not in ("full", "summary"):
        return []
    titles = choice_titles(content)
    lines = []
    for field in texts.summary:
        spec = content.slots.get(field.slot)
        value = slots.get(field.slot)
        if spec is None or value is None or value == SKIPPED or value == "":
            continue
        if spec.private and consent != "full":
            continue
        if field.when_shared and slots.get(field.when_shared) != "yes":
            continue
        lines.append((field.label, _show(value, titles.get(field.slot, {}))))
    return lines


def _show(value: Any, titles: Mapping[str, str]) -> str:
    if isinstance(value, list | tuple):
        text = ", ".join(titles.get(str(v), str(v)) for v in value)
    else:
        text = titles.get(str(value), str(value))
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def case_text(
    texts: CounsellorTexts,
    *,
    case_id: int,
    kind: str,
    urgent: bool,
    network: str | None,
    consent: str,
    created: datetime,
    lines: Sequence[tuple[str, str]],
    previous: str | None,
    mention: str,
) -> str:
    """The text of the case message in the counsellor chat."""
    values = {
        "case": case_id,
        "kind": texts.kinds.get(kind, kind),
        "network": texts.network(network),
        "consent": texts.consent[consent],
        "created": local_time(created),
    }
    parts = [
        texts.c("case_title_urgent" if urgent else "case_title", **values),
        texts.c("case_facts", **values),
    ]
    if previous:
        parts.append(texts.c("case_previous", name=previous, mention=mention).replace("  ", " "))
    if lines:
        parts.append(
            "\n".join(
                [texts.c("case_summary_intro")]
                + [texts.c("case_summary_line", label=label, value=value) for label, value in lines]
            )
        )
    else:
        parts.append(texts.c("case_nothing_shared"))
    parts.append(texts.c("case_how"))
    return clip("\n\n".join(parts))


def case_buttons(
    texts: CounsellorTexts, case_id: int, consent: str, claim: bool = True
) -> list[Button]:
    """Buttons under a case message: claim (while pending), close, show the conversation."""
    buttons = [Button(texts.c("claim_button"), callback(case_id, "claim"))] if claim else []
    buttons.append(Button(texts.c("close_button"), callback(case_id, "close")))
    if consent == "full":
        buttons.append(Button(texts.c("transcript_button"), callback(case_id, "transcript")))
    return buttons


def outcome_buttons(texts: CounsellorTexts, case_id: int) -> list[Button]:
    """One button per outcome, to close a case."""
    return [Button(title, callback(case_id, "close", key)) for key, title in texts.outcomes.items()]


def message(text: str, buttons: Sequence[Button] = (), **meta: Any) -> dict[str, Any]:
    """An outbox payload the Telegram sender understands, plus handoff metadata."""
    payload: dict[str, Any] = {
        "kind": "message",
        "text": clip(text),
        "buttons": [{"title": b.title, "payload": b.payload} for b in buttons],
    }
    payload.update({k: v for k, v in meta.items() if v is not None})
    return payload


def transcript_chunks(
    texts: CounsellorTexts, case_id: int, lines: Sequence[tuple[str, str]]
) -> list[str]:
    """The conversation as a few messages, each within Telegram's limit."""
    keys = {
        "pupil": "transcript_pupil",
        "bot": "transcript_bot",
        "counsellor": "transcript_counsellor",
    }
    rendered = [
        clip(texts.c(keys.get(author, "transcript_bot"), text=text), 3500) for author, text in lines
    ]
    chunks: list[list[str]] = [[]]
    size = 0
    for line in rendered:
        if size + len(line) > 3500 and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    total = len(chunks)
    return [
        texts.c("transcript_title", case=case_id, part=i + 1, parts=total)
        + "\n\n"
        + "\n".join(chunk)
        for i, chunk in enumerate(chunks)
    ]


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Keep a text within Telegram's limit."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
