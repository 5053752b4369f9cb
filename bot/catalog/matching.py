"""Which learning routes and help resources fit a pupil, and why. Pure: no I/O, no Dutch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

LEERPLICHT_END_AGE = 18
SKIPPED = "skipped"
Requirement = Literal["required", "excluded"]
Status = Literal["active", "phased_out"]
Outcome = Literal["ok", "fail", "unknown"]


@dataclass(frozen=True, slots=True)
class Profile:
    """What the bot knows about a pupil; None means unknown."""

    age: int | None = None
    has_diploma: bool | None = None
    first_grade_done: bool | None = None
    in_school: bool | None = None
    newcomer: bool | None = None
    special_needs: bool | None = None
    school_year: int | None = None  # year of secondary school (1-7), when the pupil said it

    @property
    def leerplichtig(self) -> bool | None:
        """Leerplicht lasts until 18 or until a secondary-school diploma."""
        if self.has_diploma:
            return False
        if self.age is None:
            return None
        return self.age < LEERPLICHT_END_AGE


@dataclass(frozen=True, slots=True)
class Rules:
    """Machine-checkable eligibility of a route; a route may list alternatives (`any_of`)."""

    min_age: int | None = None
    max_age: int | None = None
    min_age_after_first_grade: int | None = None
    leerplichtig: Requirement | None = None
    diploma: Requirement | None = None
    in_school: Requirement | None = None
    newcomer: Requirement | None = None
    special_needs: Requirement | None = None
    any_of: tuple[Rules, ...] = ()
    # min_age is reached in time when the pupil turns that age before 31 December of the year a
    # course starts in September or later (adult education): one year younger is a "maybe".
    min_age_by_year_end: bool = False
    # Years of secondary school in which the route cannot start (changing programme in year 6).
    excluded_school_years: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Reason:
    """One checked criterion: `key` names the template, `values` fill it."""

    criterion: str
    outcome: Outcome
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The template key, e.g. `min_age_ok`."""
        return f"{self.criterion}_{self.outcome}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a route fits: True, False, or None (maybe: something is unknown)."""

    route_id: str
    fits: bool | None
    reasons: tuple[Reason, ...]

    @property
    def against(self) -> tuple[Reason, ...]:
        """The reasons why the route does not fit."""
        return tuple(r for r in self.reasons if r.outcome == "fail")


# Criteria where "unknown" must not put a route on the pupil's list (e.g. OKAN for everyone).
STRICT_CRITERIA = frozenset({"newcomer_required", "special_needs_required"})


def profile_from_slots(slots: Mapping[str, Any]) -> Profile:
    """Derive the matcher's profile from conversation slots."""
    grade = _known(slots.get("school_grade"))
    school_type = _known(slots.get("school_type"))
    first_grade: bool | None = None
    in_school: bool | None = None
    if grade in {"second_grade", "third_grade"}:
        first_grade, in_school = True, True
    elif grade == "first_grade":
        first_grade, in_school = False, True
    elif grade == "left":
        in_school = False
    special = None if school_type is None else school_type == "buso"
    diploma = _yes_no(slots.get("has_diploma"))
    if diploma is None and grade in {"first_grade", "second_grade"}:
        diploma = False  # a diploma comes at the end of the third grade at the earliest
    return Profile(
        age=_age(slots.get("age")),
        has_diploma=diploma,
        first_grade_done=first_grade,
        in_school=in_school,
        newcomer=_yes_no(slots.get("newcomer")),
        special_needs=special,
        school_year=_age(slots.get("school_year")),
    )


def evaluate(route_id: str, rules: Rules, profile: Profile, status: Status = "active") -> Verdict:
    """Check every rule of a route against the profile and say why it does or does not fit."""
    if status == "phased_out":
        return Verdict(route_id, False, (Reason("status", "fail"),))
    if rules.any_of:
        base = _check(rules, profile)
        options = [[*base, *_check(alt, profile)] for alt in rules.any_of]
        best = max(options, key=lambda reasons: _rank(_fits(reasons)))
        if _fits(best) is False:
            # No alternative fits: tell every reason, once each.
            merged = {r.key: r for option in options for r in option if r.outcome == "fail"}
            return Verdict(route_id, False, tuple(merged.values()))
        return Verdict(route_id, _fits(best), tuple(best))
    reasons = _check(rules, profile)
    return Verdict(route_id, _fits(reasons), tuple(reasons))


def rank_routes(verdicts: Iterable[Verdict]) -> list[Verdict]:
    """Routes that fit first, then the maybes; routes that do not fit are left out."""
    kept = [v for v in verdicts if v.fits is not False]
    return sorted(kept, key=lambda v: 0 if v.fits else 1)


def _rank(fits: bool | None) -> int:
    return {True: 2, None: 1, False: 0}[fits]


def _fits(reasons: Sequence[Reason]) -> bool | None:
    if any(r.outcome == "fail" for r in reasons):
        return False
    if any(r.outcome == "unknown" and r.criterion in STRICT_CRITERIA for r in reasons):
        return False
    if any(r.outcome == "unknown" for r in reasons):
        return None
    return True


def _check(rules: Rules, p: Profile) -> list[Reason]:
    reasons = _age_reasons(rules, p)
    for criterion, requirement, actual in (
        ("leerplichtig", rules.leerplichtig, p.leerplichtig),
        ("diploma", rules.diploma, p.has_diploma),
        ("in_school", rules.in_school, p.in_school),
        ("newcomer", rules.newcomer, p.newcomer),
        ("special_needs", rules.special_needs, p.special_needs),
    ):
        if requirement is not None:
            reasons.append(_requirement(criterion, requirement, actual, p))
    if p.school_year is not None and p.school_year in rules.excluded_school_years:
        reasons.append(Reason("school_year", "fail", {"school_year": p.school_year}))
    return reasons


def _requirement(
    criterion: str, requirement: Requirement, actual: bool | None, p: Profile
) -> Reason:
    name = f"{criterion}_{requirement}"
    values = {"age": p.age}
    if actual is None:
        return Reason(name, "unknown", values)
    wanted = requirement == "required"
    return Reason(name, "ok" if actual == wanted else "fail", values)


def _age_reasons(rules: Rules, p: Profile) -> list[Reason]:
    reasons: list[Reason] = []
    values = {
        "age": p.age,
        "min_age": rules.min_age,
        "max_age": rules.max_age,
        "min_age_after_first_grade": rules.min_age_after_first_grade,
    }
    if rules.min_age is not None:
        reasons.append(_min_age(rules, p, values))
    if rules.max_age is not None:
        if p.age is None:
            reasons.append(Reason("max_age", "unknown", values))
        else:
            reasons.append(Reason("max_age", "ok" if p.age <= rules.max_age else "fail", values))
    return reasons


def _min_age(rules: Rules, p: Profile, values: Mapping[str, Any]) -> Reason:
    assert rules.min_age is not None
    if p.age is None:
        return Reason("min_age", "unknown", values)
    if p.age >= rules.min_age:
        return Reason("min_age", "ok", values)
    if rules.min_age_by_year_end and p.age == rules.min_age - 1:
        return Reason("min_age_year_end", "unknown", values)
    lower = rules.min_age_after_first_grade
    if lower is None or p.age < lower:
        return Reason("min_age", "fail", values)
    if p.first_grade_done is True:
        return Reason("first_grade", "ok", values)
    if p.first_grade_done is False:
        return Reason("first_grade", "fail", values)
    return Reason("first_grade", "unknown", values)


def _known(value: Any) -> str | None:
    if value is None or value == SKIPPED:
        return None
    return str(value)


def _age(value: Any) -> int | None:
    text = _known(value)
    if text is None:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def _yes_no(value: Any) -> bool | None:
    text = _known(value)
    return {"yes": True, "no": False}.get(text or "")


# --- help resources -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """Where the pupil is, as far as known."""

    network: str | None = None
    municipality: str | None = None


@dataclass(frozen=True, slots=True)
class Reach:
    """Who a help resource is for: topics, ages and area (empty area = everywhere)."""

    topics: frozenset[str]
    min_age: int | None = None
    max_age: int | None = None
    networks: frozenset[str] = frozenset()
    municipalities: frozenset[str] = frozenset()
    without_region: bool = False
    # The website (or chat, or phone) it leads to: two cards to the same site are one too many
    # (a regional JAC and the national JAC page).
    site: str | None = None
    # Only for pupils at school ("required": the CLB of your school) or only for those who left.
    in_school: Requirement | None = None


def place_from_slots(slots: Mapping[str, Any]) -> Place:
    """Derive the pupil's place from conversation slots."""
    return Place(_known(slots.get("network")), _known(slots.get("municipality")))


def resource_score(
    reach: Reach, topic: str, age: int | None, place: Place, in_school: bool | None = None
) -> int | None:
    """How well a resource fits (higher is closer to the pupil), or None when it does not.
    Whether the pupil is at school counts only when known."""
    if topic not in reach.topics:
        return None
    if in_school is not None and reach.in_school is not None and (
            in_school != (reach.in_school == "required")):
        return None
    if age is not None and reach.min_age is not None and age < reach.min_age:
        return None
    if age is not None and reach.max_age is not None and age > reach.max_age:
        return None
    if reach.municipalities:
        if place.municipality is None:
            return None
        return 3 if _same(place.municipality, reach.municipalities) else None
    if reach.networks:
        if place.network is None:
            return 1 if reach.without_region else None
        return 2 if place.network in reach.networks else None
    return 1


def pick_resources(
    reaches: Sequence[tuple[str, Reach]], topic: str, age: int | None, place: Place, limit: int,
    seen_sites: frozenset[str] = frozenset(), in_school: bool | None = None,
) -> list[str]:
    """The ids of the `limit` closest resources; ties keep the editor's order. A resource that
    leads to the same site as a closer one (or one already shown) is left out."""
    scored = [
        (score, index, rid, reach.site)
        for index, (rid, reach) in enumerate(reaches)
        if (score := resource_score(reach, topic, age, place, in_school)) is not None
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    chosen: list[str] = []
    sites = set(seen_sites)
    for _, _, rid, site in scored:
        if site is not None and site in sites:
            continue
        chosen.append(rid)
        if site is not None:
            sites.add(site)
    return chosen[:limit]


def _same(name: str, names: frozenset[str]) -> bool:
    return name.casefold() in {n.casefold() for n in names}


REGIONAL_MINIMUM = 2


def regional_help(reaches: Sequence[tuple[str, Reach]], place: Place) -> list[str]:
    """The resources of the pupil's own region or municipality (not the national ones) that
    the bot can show there, for any of their topics and any age."""
    return [
        rid for rid, reach in reaches
        if (reach.networks or reach.municipalities) and any(
            (resource_score(reach, topic, None, place) or 0) >= 2 for topic in reach.topics)
    ]
