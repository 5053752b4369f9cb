"""What one turn adds to the anonymous figures: never the pupil's words or id (docs/privacy.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.catalog import Catalog
from bot.catalog.matching import evaluate, profile_from_slots
from bot.delivery import events
from bot.flows.model import Content
from bot.flows.state import State

# A message after this much silence starts a new conversation in the figures.
NEW_CONVERSATION = timedelta(minutes=30)


def is_new_conversation(last_seen: datetime | None, now: datetime) -> bool:
    """A pupil's first message ever, or the first after a silence."""
    if last_seen is None:
        return True
    seen = last_seen if last_seen.tzinfo else last_seen.replace(tzinfo=now.tzinfo)
    return now - seen > NEW_CONVERSATION


def record_turn(
    session: AsyncSession,
    content: Content,
    before: State,
    after: State,
    *,
    new_conversation: bool,
    safety: str,
    when: datetime,
) -> None:
    """Record what the turn started or showed: a conversation, a topic, routes, help, safety."""
    network = after.slots.get("network") or before.slots.get("network")
    if new_conversation:
        events.record(session, "conversation_started", network, when=when)
    topic = _main_flow(after)
    if topic and topic != _main_flow(before) and topic != content.patterns.menu_flow:
        events.record(session, "topic", network, topic, when=when)
    for detail in _routes_shown(content, before, after):
        events.record(session, "route_shown", network, detail, when=when)
    if _added(before, after, "resources_shown", ","):
        help_topic = str(after.slots.get("help_topic") or "")
        events.record(session, "help_shown", network, help_topic, when=when)
    if safety != "none":
        events.record(session, "safety", network, safety, when=when)


def _routes_shown(content: Content, before: State, after: State) -> list[str]:
    """'<route id>:fits|maybe|no' for each route in a list the turn showed (how it fitted)."""
    shown = str(after.slots.get("routes_shown") or "")
    if not shown or shown == str(before.slots.get("routes_shown") or ""):
        return []
    catalog = content.catalog
    if not isinstance(catalog, Catalog):
        return []
    profile = profile_from_slots(after.slots)
    found: list[str] = []
    for route_id in shown.split(","):
        route = catalog.routes.get(route_id)
        if route is not None:
            fits = evaluate(route.id, route.rules, profile, route.status).fits
            found.append(f"{route.id}:{'maybe' if fits is None else 'fits' if fits else 'no'}")
    return found


def _main_flow(state: State) -> str | None:
    return state.stack[0].flow if state.stack else None


def _added(before: State, after: State, slot: str, separator: str) -> list[str]:
    """Names (content ids, never pupil text) that the turn added to a list slot."""
    old = {n for n in str(before.slots.get(slot) or "").split(separator) if n}
    new = [n for n in str(after.slots.get(slot) or "").split(separator) if n]
    return [n for n in new if n not in old]
