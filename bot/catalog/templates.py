"""Which `{placeholders}` each catalog template may use: exactly what the built-in actions fill.

A placeholder nothing fills shows as nothing ("Bel: " with no number after it), so the checker
compares every template in paths.yml and resources.yml with these tables.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from bot.flows.text import placeholders

ROUTE_FIELDS = frozenset({"name", "short", "what", "qualification", "cost", "duration", "url"})
AGE_FIELDS = frozenset({"age", "min_age", "max_age", "min_age_after_first_grade", "school_year"})
RESOURCE_FIELDS = frozenset({"name", "what", "phone", "chat", "url", "hours", "cost"})
_ROUTE_FIXED: Mapping[str, frozenset[str]] = {
    "route_line": ROUTE_FIELDS,
    "route_line_maybe": ROUTE_FIELDS,
    "detail_qualification": ROUTE_FIELDS,
    "detail_cost": ROUTE_FIELDS,
    "detail_duration": ROUTE_FIELDS,
    "detail_url": ROUTE_FIELDS,
    "reason_line": frozenset({"reason"}),
    "replaced_by": frozenset({"replaced_by"}),
}
_RESOURCE_PLAIN = frozenset({"resources_intro", "resources_none", "resources_region_hint"})
_CRITERION_ENDINGS = ("_ok", "_fail", "_unknown")
_ROUTE_PLAIN = frozenset(
    {"routes_intro", "routes_none", "routes_maybe_hint", "verdict_fits", "verdict_maybe",
     "verdict_not", "route_unknown", "no_rules_ok", "status_fail"}
)


def route_fields(key: str) -> frozenset[str]:
    """The placeholders the bot fills in the route template `key`."""
    if key in _ROUTE_FIXED:
        return _ROUTE_FIXED[key]
    if key in _ROUTE_PLAIN:
        return frozenset()
    if key.endswith(_CRITERION_ENDINGS):  # min_age_ok, diploma_required_fail, ...
        return AGE_FIELDS
    return frozenset()


def resource_fields(key: str) -> frozenset[str]:
    """The placeholders the bot fills in the resource template `key`."""
    return frozenset() if key in _RESOURCE_PLAIN else RESOURCE_FIELDS


def unfilled(text: str, allowed: frozenset[str]) -> list[tuple[str, str | None]]:
    """Each `{name}` in `text` that nothing fills, with the closest allowed name (or None)."""
    return [
        (name, next(iter(difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.5)), None))
        for name in sorted(placeholders(text) - allowed)
    ]


def hint(closest: str | None, allowed: frozenset[str]) -> str:
    """How to fix a placeholder in a template that may use `allowed`."""
    start = f"did you mean {{{closest}}}? " if closest else ""
    if not allowed:
        return start + "this text cannot use placeholders: write the words themselves"
    return start + "this text can use " + ", ".join(f"{{{a}}}" for a in sorted(allowed))
