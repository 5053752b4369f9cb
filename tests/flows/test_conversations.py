"""What the flows do with the pupil's state: slots, handoff requests, where the pupil ends up.

What the bot says, and which buttons it offers, is checked by the editors' dialogue tests in
content/tests/*.yml (`wegwijs content test`). These tests press buttons by their payload
(`flow.step:value`) and assert only ids and values, so an editor can change any text or button
title without breaking them.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.flows.actions import RequestHandoff
from bot.flows.model import Content
from bot.flows.state import State
from tests.support.conversation import Conversation, nlu

Chat = Callable[[], Conversation]

KNOWN = {
    "age": 16,
    "place": "Gent",
    "network": "oost_vlaanderen",
    "school_grade": "second_grade",
    "school_type": "bso",
    "last_attest": "b",
}


def started(chat: Chat, flow: str, deep_link: str = "") -> Conversation:
    """A conversation in `flow`; a deep link (`/start <code>`) first sets the network."""
    c = chat()
    if deep_link:
        c.command("start", deep_link)
        c.state = State(slots=c.state.slots)  # keep the network, leave the welcome menu
    c.trigger(flow)
    return c


def handoffs(c: Conversation) -> list[RequestHandoff]:
    return [e for e in c.effects if isinstance(e, RequestHandoff)]


def left(c: Conversation, flow: str) -> bool:
    """The pupil is no longer waiting for an answer in `flow`."""
    return c.where is None or c.where[0] != flow


def test_quit_school_intake_fills_the_network_and_is_not_asked_twice(chat: Chat) -> None:
    c = chat()
    c.command("start")
    c.press("welcome.menu:quit")
    assert c.where == ("quit_school", "situation")
    c.say("Ik haat de lessen en ik wil geld verdienen.")
    assert c.where == ("ask_age", "age")
    c.say("ik ben 16")
    assert c.state.slots["age"] == 16
    c.say("Ik woon in Genk")
    assert c.state.slots["place"] == "Genk"
    assert c.state.slots["network"] == "limburg"
    c.press("ask_school.grade:second_grade")
    assert c.state.slots["school_grade"] == "second_grade"
    assert c.where == ("quit_school", "choice")
    c.command("start")
    c.press("welcome.menu:quit")
    c.press("quit_school.situation:skipped")
    assert c.where == ("quit_school", "choice")  # intake is not asked twice


def test_quit_school_choice_stored_and_followed(chat: Chat) -> None:
    for value, flow in (("motivation", "motivation"), ("routes", "routes"),
                        ("decided", "exit_talk"), ("roundtable", "roundtable"),
                        ("human", "handoff")):
        c = chat()
        c.state = State(slots=dict(KNOWN))
        c.trigger("quit_school")
        c.press("quit_school.situation:skipped")
        c.press(f"quit_school.choice:{value}")
        assert c.where is not None and c.where[0] == flow, value


def test_motivation_ruler_offers_eleven_numbers_and_keeps_both_scores(chat: Chat) -> None:
    c = started(chat, "motivation")
    assert c.where == ("motivation", "importance")
    assert len(c.buttons) == 11
    c.press("motivation.importance:7")
    assert str(c.state.slots["importance"]) == "7"
    c.say("Ik wil later verpleger worden.")
    c.say("Als mijn vrienden ook doorgaan.")
    c.say("vier")  # a number in words
    assert str(c.state.slots["confidence"]) == "4"


def test_motivation_out_of_range_is_asked_again_and_back_clears_the_answer(chat: Chat) -> None:
    c = started(chat, "motivation")
    c.say("11")
    assert c.where == ("motivation", "importance")
    assert "importance" not in c.state.slots
    c.press("motivation.importance:5")
    c.say("terug")
    assert c.where == ("motivation", "importance")
    c.press("motivation.importance:3")
    assert str(c.state.slots["importance"]) == "3"


def test_routes_remember_which_routes_were_explained(content: Content, chat: Chat) -> None:
    c = started(chat, "routes")
    c.press("ask_age.age:20")
    c.press("ask_school.grade:left")
    c.press("ask_diploma.diploma:no")
    assert c.where == ("routes", "pick")
    c.press("routes.pick:syntra_leertijd")
    c.press("routes.pick:andere_richting")
    c.say("klaar")
    assert c.where == ("routes", "after")
    routes = content.catalog.routes
    assert c.state.slots["routes_viewed"] == (
        f"{routes['syntra_leertijd'].name}, {routes['andere_richting'].name}"
    )
    c.press("routes.after:help")
    assert c.where == ("help_nearby", "topic")


def test_help_nearby_asks_the_place_once(chat: Chat) -> None:
    c = started(chat, "help_nearby")
    c.say("ik voel me zo slecht de laatste tijd", nlu("feeling_down"))
    assert c.where == ("ask_place", "place")
    c.say("3500")
    assert c.state.slots["network"] == "limburg"
    assert c.where == ("help_nearby", "more")
    c.press("help_nearby.more:again")
    c.press("help_nearby.topic:work")
    assert c.where == ("help_nearby", "more")  # place is known: not asked again


def test_leerplicht_from_a_free_question(chat: Chat) -> None:
    c = chat()
    c.say("tot wanneer moet ik naar school?", nlu("ask_compulsory_education"))
    assert c.where == ("leerplicht", "question")


def test_roundtable_request_carries_the_consent(chat: Chat) -> None:
    c = started(chat, "roundtable", deep_link="kans")
    c.press("roundtable.ask:more")
    assert c.where == ("roundtable", "ask")
    c.press("roundtable.ask:yes")
    c.press("roundtable.consent:summary")
    assert handoffs(c) == [RequestHandoff("roundtable")]
    assert c.state.slots["share_consent"] == "summary"


def test_roundtable_can_be_cancelled_without_a_request(chat: Chat) -> None:
    c = started(chat, "roundtable")
    c.say("ja")
    c.press("roundtable.consent:cancel")
    assert handoffs(c) == []
    c = started(chat, "roundtable")
    c.say("nee")
    assert handoffs(c) == [] and c.where is None


def make_plan(c: Conversation, shared: str = "yes") -> None:
    c.command("mijnplan")
    c.say("Mijn 4de jaar afmaken")
    c.say("Morgen naar de mentor stappen")
    c.say("Mijn mentor")
    c.say("Deze week")
    c.press(f"my_plan.share:{shared}")


def test_plan_parts_are_stored_and_the_plan_opens_at_its_menu(chat: Chat) -> None:
    c = chat()
    make_plan(c)
    assert {k: c.state.slots[k] for k in ("plan_goal", "plan_step", "plan_helper", "plan_when",
                                          "plan_shared")} == {
        "plan_goal": "Mijn 4de jaar afmaken",
        "plan_step": "Morgen naar de mentor stappen",
        "plan_helper": "Mijn mentor",
        "plan_when": "Deze week",
        "plan_shared": "yes",
    }
    c.command("mijnplan")
    assert c.where == ("my_plan", "menu")


def test_plan_can_be_changed_one_part_at_a_time(chat: Chat) -> None:
    c = chat()
    make_plan(c, shared="no")
    c.command("mijnplan")
    c.press("my_plan.menu:edit")
    c.press("my_plan.edit:when")
    c.say("Voor de kerstvakantie")
    assert c.state.slots["plan_when"] == "Voor de kerstvakantie"
    assert c.state.slots["plan_goal"] == "Mijn 4de jaar afmaken"
    assert c.state.slots["plan_shared"] == "no"


def test_plan_sharing_can_be_changed(chat: Chat) -> None:
    c = chat()
    make_plan(c)
    c.command("mijnplan")
    c.say("wie mag het zien?")
    c.press("my_plan.share_again:no")
    assert c.state.slots["plan_shared"] == "no"


def test_plan_can_be_deleted_after_confirmation(chat: Chat) -> None:
    c = chat()
    make_plan(c)
    c.command("mijnplan")
    c.press("my_plan.menu:delete")
    c.press("my_plan.delete:no")
    assert c.state.slots["plan_goal"] == "Mijn 4de jaar afmaken"
    c.command("mijnplan")
    c.press("my_plan.menu:delete")
    c.press("my_plan.delete:yes")
    assert not any(
        k.startswith("plan_") and k not in {"plan_action", "plan_delete"} for k in c.state.slots
    )
    c.command("mijnplan")
    assert c.where == ("my_plan", "goal")


def test_plan_back_goes_to_the_previous_part(chat: Chat) -> None:
    c = chat()
    c.command("mijnplan")
    c.say("Een job vinden")
    c.say("terug")
    assert c.where == ("my_plan", "goal")


def test_school_change_keeps_the_plan_and_marks_the_change(chat: Chat) -> None:
    c = chat()
    make_plan(c)
    c.trigger("school_change")
    c.press("school_change.status:changed")
    assert c.state.slots["changed_school"] == "yes"
    assert c.state.slots["plan_goal"] == "Mijn 4de jaar afmaken"
    c.press("school_change.offer:plan")
    assert c.where is not None and c.where[0] == "my_plan"


def test_school_change_while_thinking_marks_no_change(chat: Chat) -> None:
    c = started(chat, "school_change")
    c.say("ik twijfel")
    c.press("school_change.offer:advice")
    assert c.where == ("school_change", "offer")
    assert "changed_school" not in c.state.slots


def test_wellbeing_very_bad_goes_through_the_safety_check(chat: Chat) -> None:
    c = started(chat, "wellbeing")
    c.press("wellbeing.mood:very_bad")
    assert c.state.slots["mood"] == "very_bad"
    assert c.where is not None and c.where[0] == "safety_check"


def test_exit_talk_handoff_carries_the_consent(chat: Chat) -> None:
    c = started(chat, "exit_talk", deep_link="wvl")
    c.press("exit_talk.sure:sure")
    c.press("ask_age.age:16")
    c.press("exit_talk.next:work")
    assert c.where == ("exit_talk", "offer")
    c.press("exit_talk.offer:yes")
    c.press("exit_talk.consent:full")
    assert handoffs(c) == [RequestHandoff("exit")]


def test_exit_talk_declined_has_no_handoff(chat: Chat) -> None:
    c = started(chat, "exit_talk")
    c.press("exit_talk.sure:sure")
    c.press("ask_age.age:18")
    c.press("exit_talk.next:training")
    c.press("exit_talk.offer:no")
    assert handoffs(c) == [] and left(c, "exit_talk")


def test_exit_talk_doubt_leads_to_the_motivation_talk(chat: Chat) -> None:
    c = started(chat, "exit_talk")
    c.say("ik twijfel nog")
    c.press("exit_talk.doubt:yes")
    assert c.where == ("motivation", "importance")
