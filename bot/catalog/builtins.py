"""Built-in actions for routes, help resources, facts, summaries and the pupil's plan.

Every text they send comes from the catalog (content/*.yml); this module holds no Dutch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.catalog.catalog import Catalog, Resource, Route, Summary
from bot.catalog.matching import (
    SKIPPED,
    Reason,
    Verdict,
    evaluate,
    pick_resources,
    place_from_slots,
    profile_from_slots,
    rank_routes,
)
from bot.flows.actions import Builtin, BuiltinCall, BuiltinResult, Message
from bot.flows.text import fill, placeholders

TELEGRAM_MAX_TEXT = 4096
DEFAULT_RESOURCE_LIMIT = 3
RESOURCE_LIMITS = (2, 4)
VIEWED_SEPARATOR = ", "


def _catalog(call: BuiltinCall) -> Catalog | None:
    catalog = call.content.catalog
    return catalog if isinstance(catalog, Catalog) else None


def _has_value(value: Any) -> bool:
    return value is not None and value != "" and value != SKIPPED


def pack(paragraphs: Iterable[str], limit: int = TELEGRAM_MAX_TEXT) -> tuple[Message, ...]:
    """Join paragraphs into as few messages as fit Telegram's limit (long ones are cut)."""
    messages: list[str] = []
    current = ""
    for paragraph in (p.strip() for p in paragraphs):
        if not paragraph:
            continue
        paragraph = paragraph[:limit]
        joined = f"{current}\n\n{paragraph}" if current else paragraph
        if len(joined) <= limit:
            current = joined
        else:
            messages.append(current)
            current = paragraph
    if current:
        messages.append(current)
    return tuple(Message(text) for text in messages)


# --- routes ---------------------------------------------------------------------------------


def _verdicts(
    catalog: Catalog, slots: Mapping[str, Any], only: Sequence[str] | None
) -> list[Verdict]:
    profile = profile_from_slots(slots)
    routes = (
        [catalog.routes[r] for r in only if r in catalog.routes]
        if only
        else list(catalog.routes.values())
    )
    return [evaluate(route.id, route.rules, profile, route.status) for route in routes]


def _route_values(route: Route) -> dict[str, Any]:
    return {
        "name": route.name,
        "short": route.short,
        "what": route.what,
        "qualification": route.qualification,
        "cost": route.cost,
        "duration": route.duration,
        "url": route.url,
    }


def show_routes(call: BuiltinCall) -> BuiltinResult:
    """List the routes that fit the pupil (then the maybes), one line each."""
    catalog = _catalog(call)
    if catalog is None:
        return BuiltinResult()
    t = catalog.route_templates
    only = call.params.get("routes")
    ranked = rank_routes(_verdicts(catalog, call.slots, only))
    limit = call.params.get("limit")
    if limit is not None:
        ranked = ranked[: int(limit)]
    if not ranked:
        return BuiltinResult(messages=pack([t["routes_none"]]))
    lines = [
        fill(
            t["route_line" if v.fits else "route_line_maybe"],
            _route_values(catalog.routes[v.route_id]),
        )
        for v in ranked
    ]
    parts = [t["routes_intro"] + "\n" + "\n".join(lines)]
    if any(v.fits is None for v in ranked):
        parts.append(t["routes_maybe_hint"])
    shown = ",".join(v.route_id for v in ranked)
    return BuiltinResult(messages=pack(parts), slots={"routes_shown": shown})


def _reason_text(templates: Mapping[str, str], reason: Reason) -> str:
    return fill(templates.get(reason.key, ""), reason.values)


def explain_route(call: BuiltinCall) -> BuiltinResult:
    """Explain one route: what it is, what it gives, and why it does or does not fit."""
    catalog = _catalog(call)
    if catalog is None:
        return BuiltinResult()
    t = catalog.route_templates
    wanted = str(call.params.get("route") or call.slots.get("route_pick") or "")
    route = catalog.routes.get(wanted) or catalog.find_route(wanted)
    if route is None:
        return BuiltinResult(messages=pack([t["route_unknown"]]))
    values = _route_values(route)
    detail = "\n".join(
        fill(t[key], values) for key in ("detail_qualification", "detail_cost", "detail_duration")
    )
    verdict = evaluate(route.id, route.rules, profile_from_slots(call.slots), route.status)
    header = t[
        "verdict_fits"
        if verdict.fits
        else "verdict_maybe"
        if verdict.fits is None
        else "verdict_not"
    ]
    reasons = verdict.against if verdict.fits is False else verdict.reasons
    lines = [fill(t["reason_line"], {"reason": _reason_text(t, r)}) for r in reasons]
    if not reasons:
        lines = [fill(t["reason_line"], {"reason": t["no_rules_ok"]})]
    if route.replaced_by and verdict.fits is False:
        lines.append(
            fill(t["replaced_by"], {"replaced_by": catalog.routes[route.replaced_by].name})
        )
    fit = header + "\n" + "\n".join(lines) + "\n\n" + fill(t["detail_url"], values)
    messages = pack([route.name + "\n\n" + route.what, detail]) + pack([fit])
    return BuiltinResult(messages=messages, slots={"routes_viewed": _viewed(call, route.name)})


def _viewed(call: BuiltinCall, name: str) -> str:
    earlier = str(call.slots.get("routes_viewed") or "")
    names = [n for n in earlier.split(VIEWED_SEPARATOR) if n]
    if name not in names:
        names.append(name)
    return VIEWED_SEPARATOR.join(names)


# --- help resources -------------------------------------------------------------------------


def _resource_text(templates: Mapping[str, str], resource: Resource) -> str:
    values = {
        "name": resource.name,
        "what": resource.what,
        "phone": resource.phone,
        "chat": resource.chat,
        "url": resource.url,
        "hours": resource.hours,
        "cost": resource.cost,
    }
    keys = ["resource_name", "resource_what"]
    keys += [f"resource_{k}" for k in ("phone", "chat", "url") if values[k]]
    if resource.hours:
        keys.append("resource_hours")
    elif resource.url or resource.chat:
        keys.append("resource_no_hours")
    if resource.cost:
        keys.append("resource_cost")
    return "\n".join(fill(templates[k], values) for k in keys)


def show_resources(call: BuiltinCall) -> BuiltinResult:
    """Show the 2 to 4 help resources closest to the pupil for a topic."""
    catalog = _catalog(call)
    if catalog is None:
        return BuiltinResult()
    t = catalog.resource_templates
    topic = str(call.params.get("topic") or call.slots.get("help_topic") or "")
    low, high = RESOURCE_LIMITS
    limit = max(low, min(high, int(call.params.get("limit", DEFAULT_RESOURCE_LIMIT))))
    profile = profile_from_slots(call.slots)
    place = place_from_slots(call.slots)
    by_id = {r.id: r for r in catalog.resources}
    earlier = [r for r in str(call.slots.get("resources_shown") or "").split(",") if r]
    # `more: true` shows the next resources, skipping those the pupil has already seen.
    skip = set(earlier) if call.params.get("more") else set()
    candidates = [(r.id, r.reach) for r in catalog.resources if r.id not in skip]
    seen = frozenset(site for r in catalog.resources if r.id in skip and (site := r.reach.site))
    chosen = pick_resources(candidates, topic, profile.age, place, limit, seen, profile.in_school)
    if not chosen:
        return BuiltinResult(messages=pack([t["resources_none"]]))
    body = "\n\n".join(_resource_text(t, by_id[rid]) for rid in chosen)
    parts = [t["resources_intro"] + "\n\n" + body]
    if place.network is None:
        parts.append(t["resources_region_hint"])
    shown = list(dict.fromkeys([*earlier, *chosen])) if skip else chosen
    return BuiltinResult(messages=pack(parts), slots={"resources_shown": ",".join(shown)})


# --- facts and summaries --------------------------------------------------------------------


def tell(call: BuiltinCall) -> BuiltinResult:
    """Say a fact from facts.yml (each fact carries its source and review date)."""
    catalog = _catalog(call)
    fact = catalog.facts.get(str(call.params.get("fact"))) if catalog else None
    if fact is None:
        return BuiltinResult()
    return BuiltinResult(
        messages=tuple(Message(fill(text, call.slots)[:TELEGRAM_MAX_TEXT]) for text in fact.texts)
    )


def render_summary(catalog: Catalog, summary: Summary, slots: Mapping[str, Any]) -> str:
    """The summary text: only lines whose slots have values and whose condition holds."""
    shown: list[str] = []
    for line in summary.lines:
        if line.condition is not None and not line.condition.evaluate(slots):
            continue
        if line.fact is not None:
            fact = catalog.facts.get(line.fact)
            shown += [fill(text, slots) for text in (fact.texts if fact else ())]
            continue
        text = line.text or ""
        if all(_has_value(slots.get(name)) for name in placeholders(text)):
            shown.append(fill(text, slots))
    if not shown:
        return summary.empty
    return "\n".join(part for part in (summary.intro, *shown) if part) + (
        f"\n\n{summary.outro}" if summary.outro else ""
    )


def summary(call: BuiltinCall) -> BuiltinResult:
    """Summarise what the pupil said (`of`: a summary id in summaries.yml)."""
    catalog = _catalog(call)
    spec = catalog.summaries.get(str(call.params.get("of"))) if catalog else None
    if catalog is None or spec is None:
        return BuiltinResult()
    return BuiltinResult(messages=pack([render_summary(catalog, spec, call.slots)]))


def show_plan(call: BuiltinCall) -> BuiltinResult:
    """Show the pupil's plan (goal, first step, who helps, by when, who may see it)."""
    return summary(BuiltinCall({"of": "plan"}, call.slots, call.content))


BUILTINS: Mapping[str, Builtin] = {
    "show_routes": Builtin(show_routes, frozenset({"limit", "routes"})),
    "explain_route": Builtin(explain_route, frozenset({"route"})),
    "show_resources": Builtin(show_resources, frozenset({"topic", "limit", "more"})),
    "show_plan": Builtin(show_plan),
    "summary": Builtin(summary, frozenset({"of"}), frozenset({"of"})),
    "tell": Builtin(tell, frozenset({"fact"}), frozenset({"fact"})),
}
