"""What a turn adds to the figures: the routes a list showed, with whether each fitted."""

from __future__ import annotations

from bot.conversation.tally import _routes_shown
from bot.flows.state import State
from tests.support.conversation import real_content


def test_each_route_in_a_new_list_is_counted_with_its_fit() -> None:
    content = real_content()
    catalog = content.catalog
    assert catalog is not None
    routes = list(catalog.routes)[:3]  # type: ignore[attr-defined]
    after = State(slots={"routes_shown": ",".join(routes), "age": 17})
    found = _routes_shown(content, State(), after)
    assert [d.split(":")[0] for d in found] == routes
    assert {d.split(":")[1] for d in found} <= {"fits", "maybe", "no"}
    assert _routes_shown(content, after, after) == []  # the same list again: not counted twice


def test_an_adult_and_a_minor_get_a_different_fit_for_an_adult_route() -> None:
    content = real_content()
    young = _routes_shown(content, State(), State(slots={"routes_shown": "graduaat", "age": 13,
                                                         "has_diploma": "no"}))
    older = _routes_shown(content, State(), State(slots={"routes_shown": "graduaat", "age": 22,
                                                         "has_diploma": "yes"}))
    assert young == ["graduaat:no"] and older == ["graduaat:fits"]
