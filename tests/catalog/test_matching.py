"""Table tests for the route and resource matcher (pure) and for the real route catalogue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.catalog.catalog import Catalog, load
from bot.catalog.matching import (
    Place,
    Profile,
    Reach,
    Rules,
    evaluate,
    pick_resources,
    profile_from_slots,
    rank_routes,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"
TODAY = dt.date(2026, 11, 28)
DUAAL = Rules(min_age=16, min_age_after_first_grade=15, max_age=25)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    loaded, problems = load(CONTENT, today=TODAY)
    assert loaded is not None, [p.render() for p in problems]
    return loaded


@pytest.mark.parametrize(
    ("profile", "fits", "keys"),
    [
        (Profile(age=16), True, ["min_age_ok", "max_age_ok"]),
        (Profile(age=15, first_grade_done=True), True, ["first_grade_ok", "max_age_ok"]),
        (Profile(age=15, first_grade_done=False), False, ["first_grade_fail", "max_age_ok"]),
        (Profile(age=15), None, ["first_grade_unknown", "max_age_ok"]),
        (Profile(age=14, first_grade_done=True), False, ["min_age_fail", "max_age_ok"]),
        (Profile(age=25), True, ["min_age_ok", "max_age_ok"]),
        (Profile(age=26), False, ["min_age_ok", "max_age_fail"]),
        (Profile(), None, ["min_age_unknown", "max_age_unknown"]),
    ],
)
def test_age_rules_with_first_grade_exception(
    profile: Profile, fits: bool | None, keys: list[str]
) -> None:
    verdict = evaluate("duaal", DUAAL, profile)
    assert verdict.fits is fits
    assert [r.key for r in verdict.reasons] == keys


@pytest.mark.parametrize(
    ("profile", "leerplichtig"),
    [
        (Profile(age=17), True),
        (Profile(age=18), False),
        (Profile(age=16, has_diploma=True), False),
        (Profile(), None),
        (Profile(has_diploma=True), False),
    ],
)
def test_leerplicht_follows_from_age_and_diploma(
    profile: Profile, leerplichtig: bool | None
) -> None:
    assert profile.leerplichtig is leerplichtig


@pytest.mark.parametrize(
    ("rules", "profile", "fits"),
    [
        (Rules(leerplichtig="excluded"), Profile(age=17), False),
        (Rules(leerplichtig="excluded"), Profile(age=17, has_diploma=True), True),
        (Rules(leerplichtig="excluded"), Profile(), None),
        (Rules(in_school="required"), Profile(in_school=False), False),
        (Rules(in_school="required"), Profile(), None),
        (Rules(newcomer="required"), Profile(), False),  # unknown: never on everyone's list
        (Rules(newcomer="required"), Profile(newcomer=True), True),
        (Rules(special_needs="required"), Profile(special_needs=True), True),
        (Rules(special_needs="required"), Profile(), False),
        (Rules(), Profile(), True),
    ],
)
def test_requirements(rules: Rules, profile: Profile, fits: bool | None) -> None:
    assert evaluate("r", rules, profile).fits is fits


def test_any_of_fits_when_one_alternative_fits_and_says_every_reason_when_none_does() -> None:
    graduaat = Rules(any_of=(Rules(diploma="required"), Rules(min_age=18)))
    assert evaluate("g", graduaat, Profile(age=19, has_diploma=False)).fits is True
    assert evaluate("g", graduaat, Profile(age=16, has_diploma=True)).fits is True
    no = evaluate("g", graduaat, Profile(age=16, has_diploma=False))
    assert no.fits is False
    assert {r.key for r in no.against} == {"diploma_required_fail", "min_age_fail"}


def test_phased_out_route_never_fits() -> None:
    verdict = evaluate("cdo", DUAAL, Profile(age=17), status="phased_out")
    assert verdict.fits is False
    assert [r.key for r in verdict.against] == ["status_fail"]


def test_ranking_puts_fitting_routes_before_maybes_and_drops_the_rest() -> None:
    verdicts = [
        evaluate("maybe", DUAAL, Profile()),
        evaluate("no", DUAAL, Profile(age=30)),
        evaluate("yes", Rules(), Profile()),
    ]
    assert [v.route_id for v in rank_routes(verdicts)] == ["yes", "maybe"]


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        (
            {"age": "16", "school_grade": "second_grade"},
            Profile(age=16, has_diploma=False, first_grade_done=True, in_school=True),
        ),
        (
            {"age": 19, "school_grade": "left", "has_diploma": "no"},
            Profile(age=19, has_diploma=False, in_school=False),
        ),
        ({"age": "skipped", "school_grade": "skipped", "school_type": "skipped"}, Profile()),
        (
            {"school_grade": "first_grade", "school_type": "buso"},
            Profile(has_diploma=False, first_grade_done=False, in_school=True, special_needs=True),
        ),
        (
            {"school_grade": "third_grade", "has_diploma": "yes", "newcomer": "yes"},
            Profile(has_diploma=True, first_grade_done=True, in_school=True, newcomer=True),
        ),
    ],
)
def test_profile_from_slots(slots: dict[str, object], expected: Profile) -> None:
    assert profile_from_slots(slots) == expected


def _fitting(catalog: Catalog, profile: Profile) -> dict[str, bool | None]:
    return {r.id: evaluate(r.id, r.rules, profile, r.status).fits for r in catalog.routes.values()}


@pytest.mark.parametrize(
    ("profile", "fit", "not_fit"),
    [
        (
            Profile(age=16, has_diploma=False, first_grade_done=True, in_school=True),
            {
                "duaal_leren",
                "examencommissie",
                "andere_richting",
                "naft",
                "volwassenenonderwijs_beroep",
            },
            {
                "volwassenenonderwijs",
                "vdab_opleiding",
                "graduaat",
                "okan",
                "cdo_deeltijds",
                "syntra_leertijd",
                "buso_ov3",
            },
        ),
        (
            Profile(age=19, has_diploma=False, in_school=False),
            {
                "duaal_leren",
                "volwassenenonderwijs",
                "examencommissie",
                "graduaat",
                "vdab_opleiding",
            },
            {"andere_richting", "naft", "okan"},
        ),
        (
            Profile(age=14, newcomer=True, in_school=True, has_diploma=False),
            {"okan", "examencommissie"},
            {"duaal_leren", "vdab_opleiding"},
        ),
        (
            Profile(age=17, special_needs=True, in_school=True, has_diploma=False),
            {"buso_ov3", "buso_ov4", "duaal_leren"},
            {"volwassenenonderwijs"},
        ),
        (
            Profile(age=26, has_diploma=False, in_school=False),
            {"volwassenenonderwijs", "examencommissie", "vdab_opleiding", "graduaat"},
            {"duaal_leren"},
        ),
    ],
)
def test_real_routes_for_typical_pupils(
    catalog: Catalog, profile: Profile, fit: set[str], not_fit: set[str]
) -> None:
    verdicts = _fitting(catalog, profile)
    assert {r for r in fit if verdicts[r] is not True} == set()
    assert {r for r in not_fit if verdicts[r] is not False} == set()


def test_every_real_reason_has_a_template(catalog: Catalog) -> None:
    profiles = [
        Profile(),
        Profile(age=15),
        Profile(age=15, first_grade_done=False),
        Profile(age=30, has_diploma=True, in_school=False, newcomer=False, special_needs=False),
        Profile(age=12, in_school=True, newcomer=True, special_needs=True),
    ]
    for route in catalog.routes.values():
        for profile in profiles:
            verdict = evaluate(route.id, route.rules, profile, route.status)
            for reason in verdict.reasons:
                assert reason.key in catalog.route_templates, (route.id, reason.key)


# --- resources ------------------------------------------------------------------------------

REACHES = [
    ("everywhere", Reach(frozenset({"wellbeing"}), 10, 25)),
    ("brussels", Reach(frozenset({"wellbeing"}), 12, 25, networks=frozenset({"brussel"}))),
    ("hasselt", Reach(frozenset({"wellbeing"}), 10, 20, municipalities=frozenset({"Hasselt"}))),
    (
        "flanders",
        Reach(
            frozenset({"wellbeing"}),
            10,
            99,
            networks=frozenset({"limburg", "antwerpen"}),
            without_region=True,
        ),
    ),
    ("adults", Reach(frozenset({"wellbeing"}), 18, 99)),
    ("work", Reach(frozenset({"work"}), 10, 99)),
]


@pytest.mark.parametrize(
    ("age", "place", "expected"),
    [
        (16, Place("limburg", "Hasselt"), ["hasselt", "flanders", "everywhere"]),
        (16, Place("brussel", "Anderlecht"), ["brussels", "everywhere"]),
        (16, Place(), ["everywhere", "flanders"]),
        (22, Place("limburg", "Hasselt"), ["flanders", "everywhere", "adults"]),
        (None, Place("antwerpen", "Antwerpen"), ["flanders", "everywhere", "adults"]),
    ],
)
def test_resources_closest_first_then_editor_order(
    age: int | None, place: Place, expected: list[str]
) -> None:
    assert pick_resources(REACHES, "wellbeing", age, place, 3) == expected


def test_resources_filter_on_topic_and_respect_the_limit() -> None:
    assert pick_resources(REACHES, "work", 16, Place(), 4) == ["work"]
    assert pick_resources(REACHES, "money", 16, Place(), 4) == []
    assert len(pick_resources(REACHES, "wellbeing", 30, Place("limburg", "Genk"), 2)) == 2
