"""Conversation tests per flow: the happy path and the turns that matter for each practice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.flows.actions import RequestHandoff
from bot.flows.model import Content
from bot.flows.state import State
from tests.support.conversation import Conversation, nlu

Chat = Callable[[], Conversation]


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


# --- quit_school + intake ------------------------------------------------------------------


def test_quit_school_listens_then_asks_only_unknown_intake(chat: Chat) -> None:
    c = chat()
    c.command("start")
    c.press("Ik wil stoppen met school")
    assert c.where == ("quit_school", "situation")
    c.say("Ik haat de lessen en ik wil geld verdienen.")
    assert c.texts[0].startswith("Dank je om dat te delen")
    assert c.where == ("ask_age", "age")
    c.say("ik ben 16")
    assert c.where == ("ask_place", "place")
    c.say("Ik woon in Genk")
    assert c.state.slots["network"] == "limburg"
    c.press("3de of 4de jaar")
    assert c.where == ("quit_school", "choice")
    c.command("start")
    c.press("Ik wil stoppen met school")
    c.press("Sla over")
    assert c.texts[0].startswith("Dat is oké")
    assert c.where == ("quit_school", "choice")  # intake is not asked twice


def test_quit_school_free_text_picks_a_button(chat: Chat) -> None:
    c = started(chat, "quit_school")
    c.press("Sla over")
    c.press("Sla over")
    c.press("Sla over")
    c.press("Sla over")
    c.say("ik wil naar een andere richting")
    assert c.where == ("school_change", "status")


@pytest.mark.parametrize(
    ("button", "where"),
    [
        ("Praten over wat ik echt wil", ("motivation", "importance")),
        ("Andere wegen naar een diploma", ("routes", "pick")),
        ("Ik heb beslist: ik stop", ("exit_talk", "sure")),
        ("Een gesprek met school, ouders en CLB", ("roundtable", "ask")),
        ("Praten met een mens", ("handoff", "consent")),
    ],
)
def test_quit_school_choices(chat: Chat, button: str, where: tuple[str, str]) -> None:
    c = chat()
    c.state = State(
        slots={
            "age": 16,
            "place": "Gent",
            "network": "oost_vlaanderen",
            "school_grade": "second_grade",
            "school_type": "bso",
            "last_attest": "b",
        }
    )
    c.trigger("quit_school")
    c.press("Sla over")
    assert c.where == ("quit_school", "choice")
    c.press(button)
    assert c.where == where


# --- motivation ---------------------------------------------------------------------------


def test_motivation_rulers_follow_ups_and_reflective_summary(chat: Chat) -> None:
    c = started(chat, "motivation")
    assert c.where == ("motivation", "importance")
    assert len(c.buttons) == 11
    c.press("7")
    assert "Je koos 7 en niet lager" in c.texts[-1]
    assert "Waarom niet lager?" in c.texts[-1]
    c.say("Ik wil later verpleger worden.")
    assert "één punt hoger" in c.texts[-1]
    c.say("Als mijn vrienden ook doorgaan.")
    c.say("vier")  # a number in words
    assert "Je koos 4 en niet lager" in c.texts[-1]
    c.say("Mijn mentor gelooft in mij.")
    c.say("Minder toetsen op één dag.")
    assert "twijfel" in c.texts[0]  # important (7) but little confidence (4)
    c.press("Nee, liever niet")
    summary = c.texts[0]
    assert "7 op 10" in summary and "4 op 10" in summary
    assert "Ik wil later verpleger worden." in summary
    assert "Wat school nu moeilijk maakt" not in summary  # not asked, not shown
    c.press("Een plan maken")
    assert c.where == ("my_plan", "goal")


def test_motivation_zero_skips_why_not_lower(chat: Chat) -> None:
    c = started(chat, "motivation")
    c.say("0")
    assert c.where == ("motivation", "importance_zero")
    c.press("Sla over")
    assert c.where == ("motivation", "confidence")


def test_motivation_out_of_range_and_back(content: Content, chat: Chat) -> None:
    c = started(chat, "motivation")
    c.say("11")
    assert c.texts[0] == "Typ een getal van 0 tot 10."
    assert c.where == ("motivation", "importance")
    c.press("5")
    c.say("terug")
    assert c.where == ("motivation", "importance")
    c.press("3")
    assert "Je koos 3" in c.texts[-1]


def test_motivation_deeper_questions_end_up_in_the_summary(chat: Chat) -> None:
    c = started(chat, "motivation")
    for answer in (
        "5",
        "Mijn ouders.",
        "Een stage.",
        "5",
        "Ik kan goed met mensen.",
        "Hulp bij wiskunde.",
    ):
        c.say(answer)
    c.press("Ja, graag")
    c.say("Te veel theorie.")
    c.say("Mijn vrienden missen, maar ik win vrije tijd.")
    c.say("Werken als kok.")
    assert "Werken als kok." in c.texts[0]
    assert c.where == ("motivation", "next")


# --- routes -------------------------------------------------------------------------------


def test_routes_show_fitting_routes_and_explain_any_on_request(chat: Chat) -> None:
    c = started(chat, "routes")
    c.press("19 tot 21")
    c.press("Ik ga niet meer naar school")
    c.press("Nee")
    assert "Deze wegen kunnen bij jou passen" in c.texts[0]
    assert "Diploma in het volwassenenonderwijs" in c.texts[0]
    assert "Van richting of school veranderen" not in c.texts[0]
    assert c.where == ("routes", "pick")
    c.say("wat is syntra?")
    assert "Leertijd bij Syntra" in c.texts[0]
    assert "Nieuwe leerlingen kunnen hier niet meer starten" in c.texts[1]
    assert c.where == ("routes", "pick")
    c.press("Andere richting of attest")
    assert "B-attest" in c.texts[0]
    assert "Dit is voor leerlingen die nog op school zitten." in c.texts[1]
    c.say("klaar")
    assert c.where == ("routes", "after")
    assert c.state.slots["routes_viewed"] == (
        "Leertijd bij Syntra, Van richting of school veranderen"
    )
    c.press("Hulp in mijn buurt")
    assert c.where == ("help_nearby", "topic")


def test_routes_ask_school_details_only_in_school(chat: Chat) -> None:
    c = started(chat, "routes")
    c.press("15")
    c.press("1ste of 2de jaar")
    assert c.where == ("ask_school_details", "type")
    c.press("Buitengewoon onderwijs")
    c.press("C-attest")
    assert "BuSO" in c.texts[0] or "Buitengewoon secundair onderwijs" in c.texts[0]
    assert "Duaal leren" not in c.texts[0]  # 15 without the first grade done


# --- help nearby --------------------------------------------------------------------------


def test_help_nearby_uses_the_region(chat: Chat) -> None:
    c = started(chat, "help_nearby")
    c.say("ik voel me zo slecht de laatste tijd", nlu("feeling_down"))
    assert c.where == ("ask_place", "place")
    c.say("3500")
    assert c.texts[0].startswith("Hier kan je terecht")
    assert "TEJO-huis Hasselt" in c.texts[0]
    assert c.where == ("help_nearby", "more")
    c.press("Andere hulp zoeken")
    c.press("Werk")
    assert "VDAB" in c.texts[0]  # place is known: not asked again


def test_help_nearby_urgent_shows_emergency_lines_at_once(chat: Chat) -> None:
    c = started(chat, "help_nearby")
    c.press("Ik heb nu dringend hulp nodig")
    assert "112" in c.texts[0] and "1813" in c.texts[0]
    assert c.where == ("help_nearby", "more")


def test_help_nearby_without_region_gives_general_help_and_a_hint(
    content: Content, chat: Chat
) -> None:
    c = started(chat, "help_nearby")
    c.press("Geweld of misbruik")
    c.press("Sla over")
    assert "1712" in c.texts[0]
    assert content.catalog.resource_templates["resources_region_hint"] in c.texts[0]


# --- leerplicht ---------------------------------------------------------------------------


def test_leerplicht_from_a_free_question(chat: Chat) -> None:
    c = chat()
    c.say("tot wanneer moet ik naar school?", nlu("ask_compulsory_education"))
    assert "tot je 18 bent" in c.texts[0]
    assert c.where == ("leerplicht", "question")


@pytest.mark.parametrize(
    ("age", "diploma", "expected"),
    [
        ("16", None, "30 juni"),
        ("18", "Nee", "niet meer leerplichtig"),
        ("17", "Ja", "Je hebt een diploma"),
    ],
)
def test_leerplicht_for_me(chat: Chat, age: str, diploma: str | None, expected: str) -> None:
    c = started(chat, "leerplicht")
    c.press("Wanneer stopt het voor mij?")
    c.press(age)
    if diploma:
        c.press(diploma)
    assert any(expected in t for t in c.texts)
    assert "leerplichtcontrole@vlaanderen.be" in c.texts[-2]
    assert c.where == ("leerplicht", "question")


def test_leerplicht_is_not_schoolplicht(chat: Chat) -> None:
    c = started(chat, "leerplicht")
    c.say("moet ik naar school?")
    assert "geen schoolplicht" in c.texts[0]


# --- truancy (Antwerpen) -------------------------------------------------------------------


def test_truancy_without_blame_with_the_rules_who_does_what_and_money(chat: Chat) -> None:
    c = started(chat, "truancy", deep_link="antw")
    assert "niet op je kop" in " ".join(c.texts)
    c.say("Ik word gepest en durf niet meer.")
    c.press("Meer dan een week")
    c.press("Ja, vertel maar")
    assert "eerste halve dag" in c.texts[0]
    assert "5 halve dagen" in c.texts[1]
    c.press("Wie doet wat?")
    assert "OCJ" in c.texts[0] and "SDJ" in c.texts[0]
    assert "spijbelactieplan" in c.texts[1]  # pupil came in through the Antwerp network
    c.press("Het Groeipakket")
    assert "30 halve dagen" in c.texts[0]
    c.press("Wat als het niet beter wordt?")
    assert "parket" in c.texts[0]
    c.press("Wat kan ik nu doen?")
    assert "CLB is gratis" in c.texts[0]
    c.press("Een gesprek met school, ouders en CLB")
    assert c.where == ("roundtable", "ask")


def test_truancy_who_does_what_outside_antwerp_has_no_antwerp_plan(chat: Chat) -> None:
    c = started(chat, "truancy", deep_link="ovl")
    c.press("Sla over")
    c.press("Een paar dagen")
    c.say("ja")
    c.press("Wie doet wat?")
    assert not any("spijbelactieplan" in t for t in c.texts)


def test_truancy_pupil_may_skip_the_information(chat: Chat) -> None:
    c = started(chat, "truancy")
    c.press("Sla over")
    c.press("Sla over")
    c.press("Nee, liever niet")
    assert "CLB is gratis" in c.texts[0]
    c.press("Hulp in de buurt zoeken")
    c.say("Antwerpen")
    assert c.texts[0].startswith("Hier kan je terecht")


# --- roundtable (Brussel) -------------------------------------------------------------------


def test_roundtable_in_brussels_becomes_a_roundtable_request(chat: Chat) -> None:
    c = started(chat, "roundtable", deep_link="kans")
    assert any("KANS" in t for t in c.texts)
    c.press("Eerst meer uitleg")
    assert "zelf mee aan tafel" in c.texts[0]
    assert c.where == ("roundtable", "ask")
    c.press("Ja, graag")
    c.press("Alleen een korte samenvatting")
    assert handoffs(c) == [RequestHandoff("roundtable")]
    assert c.state.slots["share_consent"] == "summary"


def test_roundtable_can_be_cancelled_without_a_request(chat: Chat) -> None:
    c = started(chat, "roundtable")
    assert not any("KANS" in t for t in c.texts)
    c.say("ja")
    c.press("Toch niet")
    assert handoffs(c) == []
    c = started(chat, "roundtable")
    c.say("nee")
    assert handoffs(c) == [] and c.where is None


# --- my_plan (Limburg) ----------------------------------------------------------------------


def make_plan(c: Conversation, shared: str = "Ja, dat mag") -> None:
    c.command("mijnplan")
    c.say("Mijn 4de jaar afmaken")
    c.say("Morgen naar de mentor stappen")
    c.say("Mijn mentor")
    c.say("Deze week")
    c.press(shared)


def test_plan_is_built_shown_and_shared_by_choice(chat: Chat) -> None:
    c = chat()
    make_plan(c)
    assert c.texts[0].startswith("Je plan is bewaard")
    plan = c.texts[1]
    for part in (
        "Mijn 4de jaar afmaken",
        "Morgen naar de mentor stappen",
        "Mijn mentor",
        "Deze week",
        "Een begeleider mag je plan zien",
    ):
        assert part in plan
    assert c.state.slots["plan_shared"] == "yes"
    c.command("mijnplan")
    assert "Mijn 4de jaar afmaken" in c.texts[0]
    assert c.where == ("my_plan", "menu")


def test_plan_can_be_changed_one_part_at_a_time(chat: Chat) -> None:
    c = chat()
    make_plan(c, shared="Nee, alleen ik")
    c.command("mijnplan")
    c.press("Aanpassen")
    c.press("Tegen wanneer")
    c.say("Voor de kerstvakantie")
    plan = c.texts[1]
    assert "Voor de kerstvakantie" in plan and "Deze week" not in plan
    assert "Mijn 4de jaar afmaken" in plan and "Alleen jij ziet je plan" in plan


def test_plan_sharing_can_be_changed(chat: Chat) -> None:
    c = chat()
    make_plan(c)
    c.command("mijnplan")
    c.say("wie mag het zien?")
    c.press("Nee, alleen ik")
    assert c.state.slots["plan_shared"] == "no"
    assert c.texts == ["Oké. Alleen jij ziet je plan."]


def test_plan_can_be_deleted_after_confirmation(chat: Chat) -> None:
    c = chat()
    make_plan(c)
    c.command("mijnplan")
    c.press("Wissen")
    c.press("Nee, toch niet")
    assert c.state.slots["plan_goal"] == "Mijn 4de jaar afmaken"
    c.command("mijnplan")
    c.press("Wissen")
    c.press("Ja, wis mijn plan")
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


# --- school change (Oost-Vlaanderen) -------------------------------------------------------


def test_school_change_keeps_plan_and_marks_the_change(chat: Chat) -> None:
    c = chat()
    make_plan(c)
    c.trigger("school_change")
    c.press("Ik ben net veranderd")
    assert c.state.slots["changed_school"] == "yes"
    assert "blijven gewoon bij jou" in c.texts[0]
    assert "ander CLB" in c.texts[1]
    c.press("Mijn plan bekijken")
    assert "Mijn 4de jaar afmaken" in c.texts[0]


def test_school_change_thinking_explains_switching_and_attests(chat: Chat) -> None:
    c = started(chat, "school_change")
    c.say("ik twijfel")
    assert "15 januari" in c.texts[0] and "C-attest" in c.texts[0]
    c.press("Het advies van mijn school")
    assert "geen verplichting" in c.texts[0]
    assert c.where == ("school_change", "offer")
    assert "changed_school" not in c.state.slots


# --- wellbeing (Vlaams-Brabant) ------------------------------------------------------------


def test_wellbeing_very_bad_goes_through_the_safety_check(content: Content, chat: Chat) -> None:
    c = started(chat, "wellbeing")
    c.press("Heel slecht")
    first = content.flows["safety_check"].steps[0]
    assert (c.where is not None and c.where[0] == "safety_check") or any(
        t in c.texts for t in first.texts
    )


def test_wellbeing_stress_shows_mental_health_help_then_more(chat: Chat) -> None:
    c = started(chat, "wellbeing", deep_link="vbr")
    c.press("Niet goed")
    c.say("vooral stress door de examens")
    assert "Stress" in c.texts[0]
    first = c.texts[1]
    # Vlaams-Brabant has its own JAC and OverKop entries (help nearby in every region)
    assert "OverKop" in first and "JAC" in first
    c.press("Meer hulp zien")
    assert "Centrum Geestelijke Gezondheidszorg" in c.texts[0]
    assert "Tele-Onthaal" in c.texts[1] and "OverKop" not in c.texts[1]
    c.press("Praten met een mens")
    assert c.where == ("handoff", "consent")


@pytest.mark.parametrize(
    ("button", "expected"), [("Problemen thuis", "Awel"), ("Pesten of ruzie", "CLB")]
)
def test_wellbeing_home_and_bullying_get_their_own_help(
    chat: Chat, button: str, expected: str
) -> None:
    c = started(chat, "wellbeing")
    c.press("Het gaat")
    c.press(button)
    assert expected in c.texts[0]


# --- exit conversation (West-Vlaanderen) ----------------------------------------------------


def test_exit_talk_for_a_minor_who_wants_to_work(chat: Chat) -> None:
    c = started(chat, "exit_talk", deep_link="wvl")
    c.press("Heel zeker")
    c.press("16")
    assert "nog leerplichtig" in c.texts[0]
    assert "Examencommissie" in c.texts[1]
    c.press("Werken")
    assert "0800 30 700" in c.texts[0]
    summary = c.texts[1]
    assert "Je wil eerst werken" in summary and "/start" in summary
    assert c.where == ("exit_talk", "offer")
    c.press("Ja, graag")
    c.press("Mijn antwoorden en ons gesprek")
    assert handoffs(c) == [RequestHandoff("exit")]


def test_exit_talk_in_brussels_points_to_actiris(chat: Chat) -> None:
    c = started(chat, "exit_talk", deep_link="bru")
    c.press("Heel zeker")
    c.press("19 tot 21")
    assert "leerplichtig" not in c.texts[0]
    c.say("werk zoeken")
    assert "Actiris" in c.texts[0]


def test_exit_talk_training_shows_later_routes_and_no_handoff_when_declined(chat: Chat) -> None:
    c = started(chat, "exit_talk")
    c.press("Heel zeker")
    c.press("18")
    c.press("Een andere opleiding")
    assert "Diploma in het volwassenenonderwijs" in c.texts[0]
    assert "Jouw samenvatting" in c.texts[1]
    c.press("Nee, dank je")
    assert handoffs(c) == [] and c.where is None


def test_exit_talk_doubt_leads_to_the_motivation_talk(chat: Chat) -> None:
    c = started(chat, "exit_talk")
    c.say("ik twijfel nog")
    c.press("Ja, graag")
    assert c.where == ("motivation", "importance")
