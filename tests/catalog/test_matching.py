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
            {"okan"},  # adult education is a maybe at 17: 18 before 31 December
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


# --- advice that fits the person (issue 16, item 4) ------------------------------------------

CVO = Rules(min_age=18, min_age_by_year_end=True)


@pytest.mark.parametrize(
    ("age", "fits", "key"),
    [
        (18, True, "min_age_ok"),
        (19, True, "min_age_ok"),
        # 17, turning 18 in October: may start in September, before the birthday ("maybe":
        # the bot does not know the birthday). Never "no, only from 18".
        (17, None, "min_age_year_end_unknown"),
        (16, False, "min_age_fail"),
        (None, None, "min_age_unknown"),
    ],
)
def test_adult_education_counts_the_18th_birthday_up_to_31_december(
    age: int | None, fits: bool | None, key: str
) -> None:
    verdict = evaluate("cvo", CVO, Profile(age=age))
    assert verdict.fits is fits
    assert [r.key for r in verdict.reasons] == [key]


def test_without_the_year_end_rule_17_is_too_young() -> None:
    assert evaluate("x", Rules(min_age=18), Profile(age=17)).fits is False


def test_real_cvo_card_for_a_17_year_old_turning_18_is_a_maybe_with_its_reason(
    catalog: Catalog,
) -> None:
    route = catalog.routes["volwassenenonderwijs"]
    verdict = evaluate(route.id, route.rules, Profile(age=17, in_school=True), route.status)
    assert verdict.fits is None
    assert [r.key for r in verdict.reasons] == ["min_age_year_end_unknown"]
    text = catalog.route_templates["min_age_year_end_unknown"]
    assert "31 december" in text and "{age}" in text
    graduaat = catalog.routes["graduaat"]
    assert evaluate(graduaat.id, graduaat.rules, Profile(age=17, has_diploma=False)).fits is None
    assert evaluate(graduaat.id, graduaat.rules, Profile(age=16, has_diploma=False)).fits is False


@pytest.mark.parametrize(
    ("profile", "leerplichtig"),
    [
        (Profile(age=17), True),
        (Profile(age=18), False),
        (Profile(age=17, has_diploma=True), False),
        (Profile(age=18, has_diploma=False), False),
    ],
)
def test_leerplicht_around_18(profile: Profile, leerplichtig: bool) -> None:
    assert profile.leerplichtig is leerplichtig


@pytest.mark.parametrize(
    ("slots", "fits"),
    [
        ({"school_grade": "third_grade", "school_year": 6}, False),
        ({"school_grade": "third_grade", "school_year": 5}, True),
        ({"school_grade": "second_grade", "school_year": 3}, True),
        ({"school_grade": "left"}, False),
        ({"school_grade": "third_grade"}, True),
    ],
)
def test_no_change_of_programme_offered_in_the_6th_year_or_after_leaving_school(
    catalog: Catalog, slots: dict[str, object], fits: bool
) -> None:
    route = catalog.routes["andere_richting"]
    verdict = evaluate(route.id, route.rules, profile_from_slots(slots), route.status)
    assert verdict.fits is fits
    for reason in verdict.reasons:
        assert reason.key in catalog.route_templates


SCHOOL_ONLY = [
    ("school_clb", Reach(frozenset({"wellbeing"}), 10, 25, in_school="required")),
    ("jac", Reach(frozenset({"wellbeing"}), 12, 25)),
    ("leavers", Reach(frozenset({"wellbeing"}), 15, 25, in_school="excluded")),
]


@pytest.mark.parametrize(
    ("in_school", "expected"),
    [
        (True, ["school_clb", "jac"]),
        (False, ["jac", "leavers"]),
        (None, ["school_clb", "jac", "leavers"]),
    ],
)
def test_resources_for_pupils_at_school_or_who_left(
    in_school: bool | None, expected: list[str]
) -> None:
    assert pick_resources(SCHOOL_ONLY, "wellbeing", 19, Place(), 4, in_school=in_school) == (
        expected)


def test_the_school_clb_is_not_offered_to_a_19_year_old_who_left_school(
    catalog: Catalog,
) -> None:
    reaches = [(r.id, r.reach) for r in catalog.resources]
    left = profile_from_slots({"age": 19, "school_grade": "left"})
    at_school = profile_from_slots({"age": 17, "school_grade": "third_grade"})
    for network, town in (("oost_vlaanderen", "Gent"), ("brussel", "Anderlecht")):
        place = Place(network, town)
        shown = pick_resources(reaches, "school_problems", left.age, place, 4,
                               in_school=left.in_school)
        assert not {"clb", "clb_brussel"} & set(shown), shown
        shown = pick_resources(reaches, "school_problems", at_school.age, place, 4,
                               in_school=at_school.in_school)
        assert {"clb", "clb_brussel"} & set(shown), shown
