"""The catalog: learning routes, help resources, networks, facts and summaries in `content/`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.catalog.matching import Reach, Rules, Status
from bot.flows.conditions import Condition, ConditionSyntaxError, parse_condition
from bot.flows.loader import relative, schema_problems
from bot.flows.problems import Problem
from bot.flows.text import normalize
from bot.flows.yamlio import YamlDoc, load_yaml

REVIEW_MAX_AGE = dt.timedelta(days=365)
NETWORK_IDS = (
    "antwerpen",
    "brussel",
    "limburg",
    "oost_vlaanderen",
    "vlaams_brabant",
    "west_vlaanderen",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
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
RESOURCE_TEMPLATES = (
    "resources_intro",
    "resources_none",
    "resources_region_hint",
    "resource_name",
    "resource_what",
    "resource_phone",
    "resource_chat",
    "resource_url",
    "resource_hours",
    "resource_no_hours",
    "resource_cost",
)
_FILES = {
    "paths": ("paths.yml", "paths.schema.json"),
    "resources": ("resources.yml", "resources.schema.json"),
    "networks": ("networks.yml", "networks.schema.json"),
    "facts": ("facts.yml", "facts.schema.json"),
    "summaries": ("summaries.yml", "summaries.schema.json"),
}


@dataclass(frozen=True, slots=True)
class Sourced:
    """Where a fact comes from and when an editor last checked it."""

    sources: tuple[str, ...] = ()
    reviewed: dt.date | None = None
    file: str = ""
    line: int | None = None


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
    sourced: Sourced = Sourced()


@dataclass(frozen=True, slots=True)
class Resource:
    """An organisation that helps, with how to reach it."""

    id: str
    name: str
    what: str
    reach: Reach
    phone: str | None = None
    chat: str | None = None
    url: str | None = None
    hours: str | None = None
    cost: str | None = None
    sourced: Sourced = Sourced()


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """When counsellors of a network answer (configuration, in Europe/Brussels time)."""

    timezone: str
    weekly: Mapping[int, tuple[tuple[dt.time, dt.time], ...]]
    closed: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()
    configurable: bool = True

    def is_open(self, moment: dt.datetime) -> bool:
        """True when `moment` (already in Europe/Brussels local time) is within office hours."""
        day = (moment.month, moment.day)
        for start, end in self.closed:
            inside = start <= day <= end if start <= end else (day >= start or day <= end)
            if inside:  # a period may wrap around New Year (12-24 to 01-02)
                return False
        now = moment.time()
        return any(begin <= now < end for begin, end in self.weekly.get(moment.weekday(), ()))


@dataclass(frozen=True, slots=True)
class Network:
    """A provincial network Samen tegen Schooluitval (or Brussels)."""

    id: str
    name: str
    display: str
    practice: str
    codes: tuple[str, ...]
    url: str | None
    office_hours: OfficeHours
    sourced: Sourced = Sourced()


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact a conversation tells, with its source."""

    id: str
    texts: tuple[str, ...]
    sourced: Sourced = Sourced()


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One line of a summary: a text with slots, or a fact; shown when `condition` holds."""

    text: str | None = None
    fact: str | None = None
    condition: Condition | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary built from the slots (the plan, the motivation talk, the exit talk)."""

    id: str
    intro: str
    lines: tuple[SummaryLine, ...]
    outro: str
    empty: str


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything the built-in actions need to show routes, resources, facts and summaries."""

    routes: Mapping[str, Route]
    route_templates: Mapping[str, str]
    resources: tuple[Resource, ...]
    resource_templates: Mapping[str, str]
    networks: Mapping[str, Network]
    facts: Mapping[str, Fact]
    summaries: Mapping[str, Summary]
    _codes: Mapping[str, str] = field(default_factory=dict)

    def network_for_code(self, code: str) -> str | None:
        """The network id for a deep-link code (`/start <code>`), or None."""
        key = normalize(code).replace(" ", "_")
        return key if key in self.networks else self._codes.get(key)

    def find_route(self, text: str) -> Route | None:
        """The route a pupil means: its id, its name, or one of its match words."""
        key = normalize(text)
        if not key:
            return None
        for route in self.routes.values():
            if key in {normalize(route.id.replace("_", " ")), normalize(route.name)}:
                return route
        padded = f" {key} "
        for route in self.routes.values():
            if any(f" {normalize(word)} " in padded for word in route.match):
                return route
        return None


# --- loading ------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """One file being read: its document, display name and the problems found."""

    doc: YamlDoc
    display: str
    today: dt.date
    problems: list[Problem]

    def error(self, path: tuple[Any, ...], message: str, hint: str) -> None:
        self.problems.append(Problem(self.display, self.doc.lines.line(path), message, hint))

    def warn(self, path: tuple[Any, ...], message: str, hint: str) -> None:
        self.problems.append(
            Problem(self.display, self.doc.lines.line(path), message, hint, severity="warning")
        )


def load(content_dir: Path, today: dt.date | None = None) -> tuple[Catalog | None, list[Problem]]:
    """Load and check the catalog files; the Catalog is None when there are errors."""
    day = today or dt.date.today()
    problems: list[Problem] = []
    ctxs: dict[str, _Ctx] = {}
    for key, (name, schema) in _FILES.items():
        ctx, found = _read(content_dir, name, schema, day)
        problems += found
        if ctx is not None:
            ctxs[key] = ctx
    if len(ctxs) < len(_FILES):
        return None, problems
    facts = _facts(ctxs["facts"])
    routes, route_templates = _routes(ctxs["paths"])
    resources, resource_templates = _resources(ctxs["resources"])
    networks, codes = _networks(ctxs["networks"])
    summaries = _summaries(ctxs["summaries"], facts)
    for ctx in ctxs.values():
        problems += ctx.problems
    catalog = Catalog(
        routes, route_templates, resources, resource_templates, networks, facts, summaries, codes
    )
    if any(p.severity == "error" for p in problems):
        return None, problems
    return catalog, problems


def _read(
    content_dir: Path, name: str, schema: str, today: dt.date
) -> tuple[_Ctx | None, list[Problem]]:
    path = content_dir / name
    display = relative(path, content_dir)
    if not path.exists():
        return None, [Problem(display, None, "file is missing", "restore it from git")]
    doc, problems = load_yaml(path, display)
    if doc is None:
        return None, problems
    plain = YamlDoc(doc.path, _plain(doc.data), doc.lines)
    problems += schema_problems(plain, content_dir / "schema" / schema, display)
    if problems:
        return None, problems
    return _Ctx(plain, display, today, []), []


def _plain(value: Any) -> Any:
    """YAML reads 2026-11-28 as a date; the schemas and checks expect ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _sourced(ctx: _Ctx, path: tuple[Any, ...], data: Mapping[str, Any], what: str) -> Sourced:
    sources = tuple(str(s) for s in data.get("sources", ()))
    line = ctx.doc.lines.line(path)
    if not sources:
        ctx.error(
            path,
            f"{what} has no source",
            "add 'sources:' with the web page(s) where the facts come from",
        )
    raw = data.get("reviewed")
    if raw is None:
        ctx.error(
            path,
            f"{what} has no review date",
            "add 'reviewed: YYYY-MM-DD' with the day you checked the facts",
        )
        return Sourced(sources, None, ctx.display, line)
    try:
        reviewed = dt.date.fromisoformat(str(raw))
    except ValueError:
        ctx.error(
            (*path, "reviewed"),
            f"{what} has an impossible review date '{raw}'",
            "write a real date as YYYY-MM-DD",
        )
        return Sourced(sources, None, ctx.display, line)
    if ctx.today - reviewed > REVIEW_MAX_AGE:
        ctx.warn(
            (*path, "reviewed"),
            f"{what} was last reviewed on {reviewed}, more than a year ago",
            "check the facts on the official site and update 'reviewed'",
        )
    elif reviewed > ctx.today:
        ctx.warn(
            (*path, "reviewed"),
            f"{what} has a review date in the future ({reviewed})",
            "use the day you actually checked the facts",
        )
    return Sourced(sources, reviewed, ctx.display, line)


def _facts(ctx: _Ctx) -> dict[str, Fact]:
    facts = {}
    for fact_id, data in ctx.doc.data["facts"].items():
        text = data["text"]
        texts = (text,) if isinstance(text, str) else tuple(text)
        facts[fact_id] = Fact(
            fact_id, texts, _sourced(ctx, ("facts", fact_id), data, f"fact '{fact_id}'")
        )
    return facts


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
    return Rules(**{name: pick(name) for name in names})


def _criteria(rules: Rules) -> set[str]:
    used: set[str] = set()
    if rules.min_age is not None:
        used.add("min_age")
    if rules.max_age is not None:
        used.add("max_age")
    if rules.min_age_after_first_grade is not None:
        used.add("first_grade")
    for name in RULE_CRITERIA:
        requirement = getattr(rules, name)
        if requirement is not None:
            used.add(f"{name}_{requirement}")
    for alternative in rules.any_of:
        used |= _criteria(alternative)
    return used


def _routes(ctx: _Ctx) -> tuple[dict[str, Route], dict[str, str]]:
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
            _sourced(ctx, path, raw, f"route '{route_id}'"),
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


def _resources(ctx: _Ctx) -> tuple[tuple[Resource, ...], dict[str, str]]:
    data = ctx.doc.data
    templates = {str(k): str(v) for k, v in data["templates"].items()}
    for key in sorted(set(RESOURCE_TEMPLATES) - set(templates)):
        ctx.error(("templates",), f"template '{key}' is missing", "add it under 'templates:'")
    resources: list[Resource] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["resources"]):
        path = ("resources", index)
        rid = raw["id"]
        if rid in seen:
            ctx.error((*path, "id"), f"resource id '{rid}' is used twice", "rename one")
        seen.add(rid)
        if not any(raw.get(k) for k in ("phone", "url", "chat")):
            ctx.error(
                path,
                f"resource '{rid}' has neither a phone number nor a link",
                "add 'phone:', 'url:' or 'chat:' so the pupil can reach it",
            )
        age = raw["age"]
        if age["min"] > age["max"]:
            ctx.error(
                (*path, "age"),
                f"resource '{rid}': age min {age['min']} is higher than max {age['max']}",
                "swap or fix the ages",
            )
        reach = Reach(
            frozenset(raw["topics"]),
            age["min"],
            age["max"],
            frozenset(raw.get("networks", ())),
            frozenset(raw.get("municipalities", ())),
            bool(raw.get("show_without_region", False)),
            raw.get("url") or raw.get("chat") or raw.get("phone"),
        )
        resources.append(
            Resource(
                rid,
                raw["name"],
                raw["what"],
                reach,
                raw.get("phone"),
                raw.get("chat"),
                raw.get("url"),
                raw.get("hours"),
                raw.get("cost"),
                _sourced(ctx, path, raw, f"resource '{rid}'"),
            )
        )
    return tuple(resources), templates


def _office_hours(ctx: _Ctx, path: tuple[Any, ...], raw: Mapping[str, Any]) -> OfficeHours:
    weekly: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {}
    for day, ranges in raw["weekly"].items():
        spans = []
        for i, text in enumerate(ranges):
            begin, end = (_time(part) for part in text.split("-"))
            if begin >= end:
                ctx.error(
                    (*path, "weekly", day, i),
                    f"office hours '{text}' end before they begin",
                    "write e.g. 09:00-17:00",
                )
            spans.append((begin, end))
        weekly[WEEKDAYS.index(day)] = tuple(spans)
    closed = []
    for entry in raw.get("closed", ()):
        closed.append((_month_day(entry["from"]), _month_day(entry["to"])))
    return OfficeHours(raw["timezone"], weekly, tuple(closed), bool(raw.get("configurable", True)))


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def _time(text: str) -> dt.time:
    hours, minutes = (int(p) for p in text.split(":"))
    return dt.time.max if hours == 24 else dt.time(hours, minutes)


def _networks(ctx: _Ctx) -> tuple[dict[str, Network], dict[str, str]]:
    data = ctx.doc.data
    default = _office_hours(ctx, ("default_office_hours",), data["default_office_hours"])
    networks: dict[str, Network] = {}
    codes: dict[str, str] = {}
    for network_id, raw in data["networks"].items():
        path = ("networks", network_id)
        hours = (
            _office_hours(ctx, (*path, "office_hours"), raw["office_hours"])
            if "office_hours" in raw
            else default
        )
        for i, code in enumerate(raw["codes"]):
            owner = codes.get(code) or (code if code in NETWORK_IDS else None)
            if owner is not None:
                ctx.error(
                    (*path, "codes", i),
                    f"deep-link code '{code}' is also used for network '{owner}'",
                    "every code must be unique",
                )
            codes[code] = network_id
        networks[network_id] = Network(
            network_id,
            raw["name"],
            raw["display"],
            raw.get("practice", ""),
            tuple(raw["codes"]),
            raw.get("url"),
            hours,
            _sourced(ctx, path, raw, f"network '{network_id}'"),
        )
    for missing in sorted(set(NETWORK_IDS) - set(networks)):
        ctx.error(
            ("networks",), f"network '{missing}' is missing", "the six networks must all be listed"
        )
    return networks, codes


def _summaries(ctx: _Ctx, facts: Mapping[str, Fact]) -> dict[str, Summary]:
    summaries = {}
    for summary_id, raw in ctx.doc.data["summaries"].items():
        lines = []
        for i, entry in enumerate(raw["lines"]):
            path = ("summaries", summary_id, "lines", i)
            spec = {"text": entry} if isinstance(entry, str) else entry
            condition = _condition(ctx, path, spec.get("when"))
            fact = spec.get("fact")
            if fact is not None and fact not in facts:
                ctx.error(
                    path,
                    f"summary '{summary_id}' names fact '{fact}', which is not in facts.yml",
                    "use a fact id from content/facts.yml",
                )
            lines.append(SummaryLine(spec.get("text"), fact, condition, ctx.doc.lines.line(path)))
        summaries[summary_id] = Summary(
            summary_id,
            raw.get("intro", ""),
            tuple(lines),
            raw.get("outro", ""),
            raw.get("empty", ""),
        )
    return summaries


def _condition(ctx: _Ctx, path: tuple[Any, ...], source: str | None) -> Condition | None:
    if source is None:
        return None
    try:
        return parse_condition(source)
    except ConditionSyntaxError as exc:
        ctx.error(
            (*path, "when"),
            f"condition '{source}' cannot be read: {exc}",
            'write e.g. plan_shared == "yes"',
        )
        return None


__all__ = ["Catalog", "Fact", "Network", "OfficeHours", "Resource", "Route", "Summary", "load"]
