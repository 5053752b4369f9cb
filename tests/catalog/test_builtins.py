"""The built-in actions render routes, resources, facts and summaries from content only."""

from __future__ import annotations

from typing import Any

import pytest

from bot.catalog.builtins import BUILTINS, TELEGRAM_MAX_TEXT, pack
from bot.flows.actions import BuiltinCall, BuiltinResult
from bot.flows.model import Content


def run(
    content: Content, action: str, slots: dict[str, Any] | None = None, **params: Any
) -> BuiltinResult:
    return BUILTINS[action].run(BuiltinCall(params, slots or {}, content))


def texts(result: BuiltinResult) -> str:
    return "\n".join(m.text for m in result.messages)


def test_show_routes_lists_fitting_routes_first_and_remembers_them(content: Content) -> None:
    result = run(content, "show_routes", {"age": 19, "school_grade": "left", "has_diploma": "no"})
    shown = result.slots["routes_shown"].split(",")
    assert shown[0] in content.catalog.routes
    assert "volwassenenonderwijs" in shown and "andere_richting" not in shown
    assert "cdo_deeltijds" not in shown  # phased out
    assert len(result.messages) == 1


def test_show_routes_can_be_limited_to_some_routes(content: Content) -> None:
    result = run(
        content,
        "show_routes",
        {"age": 16, "has_diploma": "no"},  # at 17 the graduaat is a maybe (18 before 31/12)
        routes=["examencommissie", "graduaat"],
    )
    assert result.slots["routes_shown"] == "examencommissie"


def test_explain_route_says_why_it_does_not_fit(content: Content) -> None:
    result = run(
        content,
        "explain_route",
        {"age": 15, "school_grade": "first_grade"},
        route="volwassenenonderwijs",
    )
    text = texts(result)
    assert content.catalog.routes["volwassenenonderwijs"].name in text
    assert content.catalog.route_templates["verdict_not"] in text
    assert "18" in text
    assert result.slots["routes_viewed"] == content.catalog.routes["volwassenenonderwijs"].name
    assert len(result.messages) == 2


def test_explain_route_finds_a_route_in_free_text_and_keeps_a_list(content: Content) -> None:
    slots = {"route_pick": "wat is die examencommissie?", "routes_viewed": "Duaal leren"}
    result = run(content, "explain_route", slots)
    assert result.slots["routes_viewed"] == "Duaal leren, Examencommissie secundair onderwijs"


def test_explain_unknown_route_asks_to_choose(content: Content) -> None:
    result = run(content, "explain_route", {"route_pick": "ruimtevaart"})
    assert texts(result) == content.catalog.route_templates["route_unknown"]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9])
def test_show_resources_shows_two_to_four(content: Content, limit: int) -> None:
    result = run(
        content,
        "show_resources",
        {"network": "limburg", "municipality": "Hasselt"},
        topic="wellbeing",
        limit=limit,
    )
    assert len(result.slots["resources_shown"].split(",")) == max(2, min(4, limit))
    assert result.slots["resources_shown"].startswith("tejo_hasselt")


def test_show_resources_prefers_the_region_and_hints_when_it_is_unknown(content: Content) -> None:
    brussels = run(content, "show_resources", {"network": "brussel"}, topic="work")
    assert brussels.slots["resources_shown"].split(",")[0] == "actiris"
    unknown = run(content, "show_resources", {}, topic="work")
    assert "actiris" not in unknown.slots["resources_shown"]
    assert content.catalog.resource_templates["resources_region_hint"] in texts(unknown)


def test_show_resources_more_skips_what_was_shown(content: Content) -> None:
    first = run(content, "show_resources", {}, topic="wellbeing", limit=4)
    shown = first.slots["resources_shown"].split(",")
    more = run(
        content,
        "show_resources",
        {"resources_shown": ",".join(shown)},
        topic="wellbeing",
        limit=4,
        more=True,
    )
    new = more.slots["resources_shown"].split(",")[len(shown) :]
    assert new and not set(new) & set(shown)


def test_show_resources_takes_the_topic_from_the_slot(content: Content) -> None:
    result = run(content, "show_resources", {"help_topic": "violence"})
    assert "1712" in texts(result)


def test_tell_fills_slots_into_a_fact(content: Content) -> None:
    result = run(content, "tell", {}, fact="truancy_five_half_days")
    assert "5 halve dagen" in texts(result)


def test_plan_summary_shows_only_what_is_filled(content: Content) -> None:
    empty = run(content, "show_plan", {})
    assert texts(empty) == content.catalog.summaries["plan"].empty
    plan = run(
        content,
        "show_plan",
        {"plan_goal": "Mijn jaar afmaken", "plan_step": "skipped", "plan_shared": "no"},
    )
    text = texts(plan)
    assert "Mijn jaar afmaken" in text and "skipped" not in text
    assert "{" not in text


def test_every_message_fits_telegram(content: Content) -> None:
    slots = {"age": 16, "routes_viewed": "x" * 5000}
    for action, params in [
        ("show_routes", {}),
        ("summary", {"of": "exit"}),
        ("show_resources", {"topic": "wellbeing", "limit": 4}),
    ]:
        for message in run(content, action, slots, **params).messages:
            assert len(message.text) <= TELEGRAM_MAX_TEXT


def test_pack_joins_short_paragraphs_and_splits_long_ones() -> None:
    assert [m.text for m in pack(["a", "", "b"])] == ["a\n\nb"]
    assert len(pack(["x" * 3000, "y" * 3000])) == 2
    assert len(pack(["z" * 9000])[0].text) == TELEGRAM_MAX_TEXT


def test_actions_do_nothing_without_a_catalog(content: Content) -> None:
    bare = Content(content.flows, content.slots, content.patterns, content.texts)
    for name in ("show_routes", "explain_route", "show_resources", "show_plan", "tell"):
        assert BUILTINS[name].run(BuiltinCall({}, {}, bare)).messages == ()
