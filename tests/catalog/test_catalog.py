"""The catalog loader catches each kind of mistake an editor can make, with file and line."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalog.catalog import OfficeHours, load
from bot.flows.problems import Problem

CONTENT = Path(__file__).resolve().parents[2] / "content"
TODAY = dt.date(2026, 12, 6)
FILES = ("paths.yml", "resources.yml", "networks.yml", "facts.yml", "summaries.yml")


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    (target / "schema").mkdir(parents=True)
    for name in FILES:
        shutil.copy(CONTENT / name, target / name)
    for schema in (CONTENT / "schema").glob("*.json"):
        shutil.copy(schema, target / "schema" / schema.name)
    return target


def _edit(content: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = content / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(
    tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None], today: dt.date = TODAY
) -> list[Problem]:
    content = _copy(tmp_path)
    _edit(content, name, change)
    catalog, problems = load(content, today=today)
    if any(p.severity == "error" for p in problems):
        assert catalog is None
    return problems


def _only(problems: list[Problem], severity: str) -> list[str]:
    return [p.message for p in problems if p.severity == severity]


def test_real_catalog_is_valid_without_warnings() -> None:
    catalog, problems = load(CONTENT, today=TODAY)
    assert [p.render() for p in problems] == []
    assert catalog is not None
    assert set(catalog.networks) == {
        "antwerpen",
        "brussel",
        "limburg",
        "oost_vlaanderen",
        "vlaams_brabant",
        "west_vlaanderen",
    }


def test_route_without_source_is_an_error_with_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "paths.yml", lambda d: d["routes"]["okan"].pop("sources"))
    [problem] = [p for p in problems if p.severity == "error"]
    assert "route 'okan' has no source" in problem.message
    assert problem.file == "content/paths.yml" and problem.line is not None


def test_resource_without_review_date_is_an_error(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "resources.yml", lambda d: d["resources"][0].pop("reviewed"))
    assert any("has no review date" in m for m in _only(problems, "error"))


def test_fact_without_source_is_an_error(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, "facts.yml", lambda d: d["facts"]["leerplicht_basics"].update(sources=[])
    )
    assert _only(problems, "error") == ["fact 'leerplicht_basics' has no source"]


def test_review_older_than_a_year_is_a_warning(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, "networks.yml", lambda d: d["networks"]["limburg"].update(reviewed="2025-01-10")
    )
    assert _only(problems, "error") == []
    [warning] = _only(problems, "warning")
    assert "network 'limburg' was last reviewed on 2025-01-10" in warning


def test_everything_becomes_stale_after_a_year(tmp_path: Path) -> None:
    _, problems = load(CONTENT, today=TODAY + dt.timedelta(days=366))
    assert len(_only(problems, "warning")) > 40
    assert _only(problems, "error") == []


def test_review_date_must_be_iso(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, "paths.yml", lambda d: d["routes"]["naft"].update(reviewed="28/11/2026")
    )
    assert any("reviewed" in m for m in _only(problems, "error"))


@pytest.mark.parametrize(
    ("eligibility", "expected"),
    [
        ({"min_age": 20, "max_age": 18}, "min_age 20 is higher than max_age 18"),
        ({"min_age": 16, "min_age_after_first_grade": 16}, "must be lower than min_age"),
        ({"min_age_after_first_grade": 15}, "must be lower than min_age"),
        ({"min_age": 18, "leerplichtig": "required"}, "leerplicht ends at 18"),
        ({"leerplichtig": "required", "diploma": "required"}, "a diploma ends leerplicht"),
        ({"leerplichtig": "excluded", "diploma": "excluded", "max_age": 17}, "exclude each other"),
        (
            {"max_age": 17, "any_of": [{"min_age": 18}, {"diploma": "required"}]},
            "in an 'any_of' alternative: min_age 18 is higher than max_age 17",
        ),
    ],
)
def test_contradicting_eligibility_rules_are_errors(
    tmp_path: Path, eligibility: dict[str, Any], expected: str
) -> None:
    problems = _problems(
        tmp_path, "paths.yml", lambda d: d["routes"]["duaal_leren"].update(eligibility=eligibility)
    )
    errors = _only(problems, "error")
    assert any(expected in m and "duaal_leren" in m for m in errors), errors


def test_unknown_eligibility_key_is_a_schema_error(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, "paths.yml", lambda d: d["routes"]["naft"]["eligibility"].update(minimum_age=12)
    )
    assert any("unknown key" in m or "minimum_age" in m for m in _only(problems, "error"))


def test_replaced_by_must_name_a_route(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, "paths.yml", lambda d: d["routes"]["cdo_deeltijds"].update(replaced_by="duaal")
    )
    assert any("replaced by 'duaal'" in m for m in _only(problems, "error"))


def test_missing_reason_template_is_an_error(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "paths.yml", lambda d: d["templates"].pop("max_age_fail"))
    assert _only(problems, "error") == ["template 'max_age_fail' is missing"]


def test_resource_without_phone_or_link_is_an_error(tmp_path: Path) -> None:
    def strip(data: dict[str, Any]) -> None:
        resource = next(r for r in data["resources"] if r["id"] == "awel")
        del resource["phone"], resource["url"]

    problems = _problems(tmp_path, "resources.yml", strip)
    assert _only(problems, "error") == ["resource 'awel' has neither a phone number nor a link"]


def test_resource_ages_and_ids(tmp_path: Path) -> None:
    def break_it(data: dict[str, Any]) -> None:
        data["resources"][0]["age"] = {"min": 25, "max": 12}
        data["resources"][1]["id"] = data["resources"][0]["id"]

    errors = _only(_problems(tmp_path, "resources.yml", break_it), "error")
    assert any("age min 25 is higher than max 12" in m for m in errors)
    assert any("is used twice" in m for m in errors)


def test_unknown_topic_is_a_schema_error(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, "resources.yml", lambda d: d["resources"][0].update(topics=["school"])
    )
    assert _only(problems, "error")


def test_deep_link_codes_must_be_unique(tmp_path: Path) -> None:
    def duplicate(data: dict[str, Any]) -> None:
        data["networks"]["limburg"]["codes"].append("kans")
        data["networks"]["antwerpen"]["codes"].append("brussel")

    errors = _only(_problems(tmp_path, "networks.yml", duplicate), "error")
    assert any("'kans' is also used for network 'brussel'" in m for m in errors)
    assert any("'brussel' is also used for network 'brussel'" in m for m in errors)


def test_all_six_networks_are_required(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "networks.yml", lambda d: d["networks"].pop("limburg"))
    assert "network 'limburg' is missing" in _only(problems, "error")


def test_office_hours_must_end_after_they_begin(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "networks.yml",
        lambda d: d["default_office_hours"]["weekly"].update(mon=["17:00-09:00"]),
    )
    assert any("end before they begin" in m for m in _only(problems, "error"))


def test_summary_with_unreadable_condition_or_unknown_fact(tmp_path: Path) -> None:
    def break_it(data: dict[str, Any]) -> None:
        data["summaries"]["plan"]["lines"].append({"when": "plan_shared = yes", "text": "x"})
        data["summaries"]["exit"]["lines"].append({"fact": "no_such_fact"})

    errors = _only(_problems(tmp_path, "summaries.yml", break_it), "error")
    assert any("cannot be read" in m for m in errors)
    assert any("'no_such_fact'" in m for m in errors)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    content = _copy(tmp_path)
    (content / "facts.yml").write_text("facts:\n  a: [unclosed\n", encoding="utf-8")
    catalog, problems = load(content, today=TODAY)
    assert catalog is None
    assert problems[0].file == "content/facts.yml" and problems[0].line is not None


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    content = _copy(tmp_path)
    (content / "networks.yml").unlink()
    catalog, problems = load(content, today=TODAY)
    assert catalog is None
    assert [p.message for p in problems] == ["file is missing"]


@pytest.mark.parametrize(
    ("code", "network"),
    [
        ("kans", "brussel"),
        ("KANS", "brussel"),
        ("brussel", "brussel"),
        ("WVL", "west_vlaanderen"),
        ("oost vlaanderen", "oost_vlaanderen"),
        ("onbekend", None),
        ("", None),
    ],
)
def test_deep_link_code_resolves_to_a_network(code: str, network: str | None) -> None:
    catalog, _ = load(CONTENT, today=TODAY)
    assert catalog is not None
    assert catalog.network_for_code(code) == network


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (dt.datetime(2026, 11, 30, 10, 0), True),  # Monday morning
        (dt.datetime(2026, 11, 30, 8, 59), False),
        (dt.datetime(2026, 12, 4, 16, 30), False),  # Friday after 16:00
        (dt.datetime(2026, 12, 5, 11, 0), False),  # Saturday
        (dt.datetime(2026, 7, 29, 11, 0), False),  # CLBs closed 15 July - 15 August
        (dt.datetime(2026, 8, 17, 11, 0), True),
    ],
)
def test_office_hours(moment: dt.datetime, is_open: bool) -> None:
    catalog, _ = load(CONTENT, today=TODAY)
    assert catalog is not None
    assert catalog.networks["limburg"].office_hours.is_open(moment) is is_open


def test_closed_period_may_wrap_around_new_year() -> None:
    hours = OfficeHours(
        "Europe/Brussels",
        {0: ((dt.time(9), dt.time(17)),), 4: ((dt.time(9), dt.time(17)),)},
        (((12, 24), (1, 2)),),
    )
    assert hours.is_open(dt.datetime(2027, 1, 1, 10, 0)) is False  # a Friday
    assert hours.is_open(dt.datetime(2027, 1, 4, 10, 0)) is True  # a Monday
