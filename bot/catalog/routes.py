"""Learning routes in `content/paths.yml`: eligibility rules, templates, contradictions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.catalog.files import CatalogFile, Sourced, sourced
from bot.catalog.matching import Rules, Status

RULE_CRITERIA = ("leerplichtig", "diploma", "in_school", "newcomer", "special_needs")
ROUTE_TEMPLATES = (
    "routes_intro",
    "routes_none",
    "routes_maybe_hint",
    "route_line",
    "route_line_maybe",
    "detail_qualification",
    "detail_cost",
    "detail_duration",
    "detail_url",
    "verdict_fits",
    "verdict_maybe",
    "verdict_not",
    "reason_line",
    "route_unknown",
    "replaced_by",
    "no_rules_ok",
    "status_fail",
)


@dataclass(frozen=True, slots=True)
class Route:
    """A learning route to a qualification (or support on the way, when `qualifies` is false)."""

    id: str
    name: str
    short: str
    what: str
    qualification: str
    qualifies: bool
    cost: str
    duration: str
    url: str
    rules: Rules
    status: Status = "active"
    replaced_by: str | None = None
    match: tuple[str, ...] = ()
    sourced: Sourced = field(default_factory=Sourced)


def _rules(data: Mapping[str, Any]) -> Rules:
    alternatives = tuple(_rules(alt) for alt in data.get("any_of", ()))
    return Rules(
        min_age=data.get("min_age"),
        max_age=data.get("max_age"),
        min_age_after_first_grade=data.get("min_age_after_first_grade"),
        leerplichtig=data.get("leerplichtig"),
        diploma=data.get("diploma"),
        in_school=data.get("in_school"),
        newcomer=data.get("newcomer"),
        special_needs=data.get("special_needs"),
        any_of=alternatives,
        min_age_by_year_end=bool(data.get("min_age_by_year_end", False)),
        excluded_school_years=frozenset(data.get("excluded_school_years", ())),
    )


def rule_contradictions(rules: Rules) -> list[str]:
    """Why a set of eligibility rules can never be met (empty when it can)."""
    found: list[str] = []
    base_min = rules.min_age
    if base_min is not None and rules.max_age is not None and base_min > rules.max_age:
        found.append(f"min_age {base_min} is higher than max_age {rules.max_age}")
    lower = rules.min_age_after_first_grade
    if lower is not None and (base_min is None or lower >= base_min):
        found.append(
            "min_age_after_first_grade must be lower than min_age (it is the "
            "exception for pupils who finished the first grade)"
        )
    if lower is not None and rules.max_age is not None and lower > rules.max_age:
        found.append(f"min_age_after_first_grade {lower} is higher than max_age {rules.max_age}")
    if rules.leerplichtig == "required" and base_min is not None and base_min >= 18:
        found.append(
            f"leerplicht ends at 18, so 'leerplichtig: required' and min_age "
            f"{base_min} exclude each other"
        )
    if rules.leerplichtig == "required" and rules.diploma == "required":
        found.append(
            "a diploma ends leerplicht, so 'leerplichtig: required' and "
            "'diploma: required' exclude each other"
        )
    if (
        rules.leerplichtig == "excluded"
        and rules.diploma == "excluded"
        and rules.max_age is not None
        and rules.max_age < 18
    ):
        found.append(
            "without a diploma a pupil under 18 is leerplichtig: 'leerplichtig: "
            f"excluded', 'diploma: excluded' and max_age {rules.max_age} exclude "
            "each other"
        )
    for alternative in rules.any_of:
        merged = _merge(rules, alternative)
        found += [f"in an 'any_of' alternative: {m}" for m in rule_contradictions(merged)]
    return found


def _merge(base: Rules, extra: Rules) -> Rules:
    def pick(name: str) -> Any:
        value = getattr(extra, name)
        return getattr(base, name) if value is None else value

    names = ("min_age", "max_age", "min_age_after_first_grade", *RULE_CRITERIA)
    return Rules(**{name: pick(name) for name in names},
                 min_age_by_year_end=base.min_age_by_year_end or extra.min_age_by_year_end,
                 excluded_school_years=base.excluded_school_years | extra.excluded_school_years)


def _criteria(rules: Rules) -> set[str]:
    used: set[str] = set()
    if rules.min_age is not None:
        used.add("min_age")
    if rules.max_age is not None:
        used.add("max_age")
    if rules.min_age_after_first_grade is not None:
        used.add("first_grade")
    if rules.min_age_by_year_end:
        used.add("min_age_year_end")
    if rules.excluded_school_years:
        used.add("school_year")
    for name in RULE_CRITERIA:
        requirement = getattr(rules, name)
        if requirement is not None:
            used.add(f"{name}_{requirement}")
    for alternative in rules.any_of:
        used |= _criteria(alternative)
    return used


def parse_routes(ctx: CatalogFile) -> tuple[dict[str, Route], dict[str, str]]:
    """The routes of a schema-checked paths.yml and its templates."""
    data = ctx.doc.data
    templates = {str(k): str(v) for k, v in data["templates"].items()}
    routes: dict[str, Route] = {}
    used: set[str] = set()
    for route_id, raw in data["routes"].items():
        path = ("routes", route_id)
        rules = _rules(raw["eligibility"])
        for message in rule_contradictions(rules):
            ctx.error(
                (*path, "eligibility"),
                f"route '{route_id}': the eligibility rules contradict each other: {message}",
                "fix the ages or requirements",
            )
        used |= _criteria(rules)
        routes[route_id] = Route(
            route_id,
            raw["name"],
            raw["short"],
            raw["what"],
            raw["qualification"],
            bool(raw["qualifies"]),
            raw["cost"],
            raw["duration"],
            raw["url"],
            rules,
            raw.get("status", "active"),
            raw.get("replaced_by"),
            tuple(raw.get("match", ())),
            sourced(ctx, path, raw, f"route '{route_id}'"),
        )
    for route in routes.values():
        if route.replaced_by is not None and route.replaced_by not in routes:
            ctx.error(
                ("routes", route.id, "replaced_by"),
                f"route '{route.id}' is replaced by '{route.replaced_by}', which is not a route",
                "use a route id",
            )
    needed = set(ROUTE_TEMPLATES)
    needed |= {f"{c}_{o}" for c in used for o in ("ok", "fail", "unknown")}
    for key in sorted(needed - set(templates)):
        ctx.error(
            ("templates",),
            f"template '{key}' is missing",
            "add it under 'templates:'; the bot needs it to explain a route",
        )
    return routes, templates
