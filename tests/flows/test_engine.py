"""Table tests of the flow engine: every step kind and every pattern, with plain data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from bot.flows.actions import ForgetPupil, RequestHandoff
from bot.flows.engine import HUMAN_PAYLOAD, step
from bot.flows.events import ButtonPressed, CommandGiven, FlowTriggered, PupilText
from bot.flows.state import State
from tests.flows.flowkit import make_content
from tests.support.conversation import Conversation, nlu

FLOWS = """
flows:
  welcome:
    steps:
      - say: "Hallo!"
      - id: menu
        ask: "Kies iets"
        collect: pick
        ask_again: true
        buttons:
          - {title: "Leeftijd", value: age, intents: [ask_learning_paths]}
          - {title: "Verhaal", value: story, match: ["vertellen"]}
          - {title: "Plaats", value: place}
          - {title: "Sub", value: sub}
        next:
          - if: pick == "age"
            then: go_age
          - if: pick == "story"
            then: go_story
          - if: pick == "place"
            then: go_place
          - else: go_sub
      - id: go_age
        link: ages
      - id: go_story
        link: stories
      - id: go_place
        link: places
      - id: go_sub
        call: sub
      - say: "Terug in welcome na {pick}"
  ages:
    steps:
      - id: age
        ask: "Hoe oud ben je?"
        collect: age
        skippable: true
      - id: branch
        noop: true
        next:
          - if: age == "skipped"
            then: skipped
          - if: age >= 18
            then: adult
          - else: minor
      - id: adult
        say: "Je bent {age}: volwassen."
        next: score
      - id: minor
        say: "Je bent {age}: nog leerplichtig."
        next: score
      - id: skipped
        say: "Oké, overgeslagen."
      - id: score
        ask: ["Nog een vraag.", "Hoe belangrijk, van 0 tot 10?"]
        collect: score
      - id: sure
        ask: "Zeker?"
        collect: ok
        ask_again: true
        next:
          - if: ok == "yes"
            then: END
          - else: score_again
      - id: score_again
        set: {score: null}
        next: score
  stories:
    steps:
      - id: story
        ask: "Vertel eens"
        collect: story
      - say: "Dank je."
  places:
    steps:
      - id: place
        ask: "Waar woon je?"
        collect: place
      - say: "{municipality} hoort bij {network}."
  sub:
    steps:
      - say: "In sub"
      - set: {ok: "yes"}
      - action: handoff
        kind: roundtable
        priority: urgent
"""


@dataclass(frozen=True)
class FakePlace:
    municipality: str
    province: str
    network: str


class FakePlaces:
    """A two-place gazetteer: enough to test the location slot type."""

    def resolve(self, value: str) -> FakePlace | None:
        value = value.strip().lower()
        if value in {"genk", "3600"}:
            return FakePlace("Genk", "Limburg", "limburg")
        if value in {"borgerhout", "2140"}:
            return FakePlace("Antwerpen", "Antwerpen", "antwerpen")
        return None

    def find_in_text(self, text: str) -> FakePlace | None:
        return next((p for w in text.lower().split() if (p := self.resolve(w))), None)


@pytest.fixture
def chat(tmp_path: Path) -> Conversation:
    content = make_content(tmp_path, FLOWS, places=FakePlaces())
    conversation = Conversation(content=content)
    conversation.command("start")
    return conversation


def test_start_says_hello_then_asks_with_buttons(chat: Conversation) -> None:
    assert chat.texts == ["Hallo!", "Kies iets"]
    assert chat.buttons == ["Leeftijd", "Verhaal", "Plaats", "Sub"]
    assert chat.where == ("welcome", "menu")


def test_button_payload_carries_flow_step_and_value(chat: Conversation) -> None:
    payloads = [b.payload for m in chat.last for b in m.buttons]
    assert payloads[0] == "welcome.menu:age"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("17", "Je bent 17: nog leerplichtig."),
        ("ik ben 19 jaar", "Je bent 19: volwassen."),
        ("zeventien", None),
        ("tien", "Je bent 10: nog leerplichtig."),
    ],
)
def test_number_answers_branch_on_conditions(
    chat: Conversation, answer: str, expected: str | None
) -> None:
    chat.press("Leeftijd")
    chat.say(answer)
    if expected is None:
        assert chat.where == ("ages", "age")
    else:
        assert chat.texts[0] == expected
        assert chat.where == ("ages", "score")


def test_number_out_of_range_repeats_question_then_offers_buttons_and_person(
    chat: Conversation,
) -> None:
    chat.press("Leeftijd")
    chat.say("99")
    assert chat.texts[-1] == "Hoe oud ben je?"
    assert chat.where == ("ages", "age")
    chat.say("honderd")
    assert HUMAN_PAYLOAD in [b.payload for m in chat.last for b in m.buttons]
    assert "Sla over" in chat.buttons


@pytest.mark.parametrize("skip", [("press", "Sla over"), ("say", "weet ik niet")])
def test_skippable_question_can_be_skipped_by_button_or_words(
    chat: Conversation, skip: tuple[str, str]
) -> None:
    chat.press("Leeftijd")
    getattr(chat, skip[0])(skip[1])
    assert chat.texts[0] == "Oké, overgeslagen."


def test_filled_slot_is_not_asked_again(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("16")
    chat.command("start")
    chat.press("Leeftijd")
    assert chat.texts[0] == "Je bent 16: nog leerplichtig."


def test_ask_with_several_texts_sends_each_and_buttons_on_last(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("16")
    assert chat.texts[-2:] == ["Nog een vraag.", "Hoe belangrijk, van 0 tot 10?"]


def test_yes_no_understands_words_and_intents(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("16")
    chat.say("8")
    chat.say("nee")
    assert chat.where == ("ages", "score")
    chat.say("9")
    chat.say("klopt", nlu("affirm"))
    assert chat.where is None


def test_set_null_clears_slot_and_question_is_asked_again(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("16")
    chat.say("8")
    chat.say("nee")
    assert "score" not in chat.state.slots
    assert chat.texts[-1] == "Hoe belangrijk, van 0 tot 10?"


def test_free_text_is_stored_in_text_slot(chat: Conversation) -> None:
    chat.press("Verhaal")
    chat.say("Mijn leerkracht is altijd boos op mij")
    assert chat.state.slots["story"] == "Mijn leerkracht is altijd boos op mij"
    assert chat.texts == ["Dank je."]
    assert chat.where is None


def test_typed_text_matches_button_title_value_extra_words_number_and_intent(
    chat: Conversation,
) -> None:
    chat.say("vertellen")
    assert chat.where == ("stories", "story")
    chat.command("start")
    chat.say("  LEEFTIJD! ")
    assert chat.where == ("ages", "age")
    chat.command("start")
    chat.say("3")
    assert chat.where == ("places", "place")
    chat.command("start")
    chat.say("welke opleidingen zijn er", nlu("ask_learning_paths"))
    assert chat.where == ("ages", "age")


def test_location_from_entity_or_text_sets_network(chat: Conversation) -> None:
    chat.press("Plaats")
    chat.say("ik woon in borgerhout")
    assert chat.texts == ["Antwerpen hoort bij antwerpen."]


def test_location_entity_from_nlu_is_used(tmp_path: Path) -> None:
    chat = Conversation(content=make_content(tmp_path, FLOWS, places=FakePlaces()))
    chat.command("start")
    chat.press("Plaats")
    chat.say("bij mij", nlu("inform_location", postcode="3600"))
    assert chat.state.slots["network"] == "limburg"


def test_unknown_place_asks_again(chat: Conversation) -> None:
    chat.press("Plaats")
    chat.say("Atlantis")
    assert chat.where == ("places", "place")


def test_call_returns_to_caller_and_action_emits_effect(chat: Conversation) -> None:
    chat.press("Sub")
    assert chat.texts == ["In sub", "Terug in welcome na sub"]
    assert chat.effects == [RequestHandoff("roundtable", "urgent")]
    assert chat.state.slots["ok"] == "yes"
    assert chat.where is None


def test_stale_button_gets_current_question_again(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.send(ButtonPressed("welcome.menu:story"))
    assert chat.texts[0].startswith("Die knop hoort bij een vorige vraag")
    assert chat.texts[-1] == "Hoe oud ben je?"
    assert chat.where == ("ages", "age")


def test_unknown_payload_and_garbage_payload_change_nothing(chat: Conversation) -> None:
    before = chat.state
    chat.send(ButtonPressed("welcome.menu:nope"))
    assert chat.state.stack == before.stack
    chat.send(ButtonPressed("\x00💥" * 40))
    assert chat.state.stack == before.stack


def test_global_intent_interrupts_then_asks_the_question_again(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("wie leest dit", nlu("privacy_question"))
    assert chat.where == ("ages", "age")
    assert chat.texts[-1] == "Hoe oud ben je?"
    assert len(chat.texts) > 2


def test_global_intent_wins_over_free_text_answer(chat: Conversation) -> None:
    chat.press("Verhaal")
    chat.say("ik wil met een mens praten", nlu("ask_human"))
    assert chat.where == ("handoff", "consent")


def test_keywords_start_global_intents_when_nlu_is_down(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.send(PupilText("kan ik met een mens praten", None, degraded=True))
    assert chat.where == ("handoff", "consent")


def test_low_confidence_intent_is_not_acted_on(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("mss privacy ofzo", nlu("privacy_question", confidence=0.3))
    assert chat.where == ("ages", "age")
    assert chat.texts[0] == "Typ een getal van 10 tot 30."


def test_invalid_answers_get_a_hint_that_fits_the_question(chat: Conversation) -> None:
    chat.press("Plaats")
    chat.say("ergens")
    assert chat.texts[0].startswith("Die plaats ken ik niet")
    chat.command("start")
    chat.press("Verhaal")
    chat.say("   ")
    chat.command("start")
    chat.press("Sub")
    chat.say("bla")
    assert chat.texts[0].startswith("Sorry")


def test_topic_intent_starts_its_flow_when_idle(tmp_path: Path) -> None:
    flows = (
        FLOWS
        + """
  wellbeing:
    steps:
      - say: "Welzijn"
"""
    )
    content = make_content(tmp_path, flows)
    conversation = Conversation(content=content)
    conversation.say("ik voel me zo slecht", nlu("feeling_down"))
    assert conversation.texts == ["Welzijn"]


def test_not_understood_rephrase_then_offer_buttons_and_person_when_idle(
    chat: Conversation,
) -> None:
    chat.press("Sub")
    chat.say("blablabla")
    assert chat.texts[0].startswith("Sorry")
    chat.say("blablabla")
    assert "Praat met een mens" in chat.buttons
    assert "Naar het begin" in chat.buttons


def test_degraded_mode_offers_buttons_at_once(chat: Conversation) -> None:
    chat.send(PupilText("hmm", None, degraded=True))
    assert chat.buttons[:4] == ["Leeftijd", "Verhaal", "Plaats", "Sub"]
    assert "Praat met een mens" in chat.buttons


def test_back_returns_to_previous_question(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("16")
    chat.say("terug")
    assert chat.where == ("ages", "age")
    assert chat.texts == ["Hoe oud ben je?"]
    chat.say("20")
    assert chat.texts[0] == "Je bent 20: volwassen."


def test_back_at_start_says_so(tmp_path: Path) -> None:
    conversation = Conversation(content=make_content(tmp_path, FLOWS))
    conversation.say("terug")
    assert conversation.texts[0] == "We kunnen niet verder terug."


def test_stop_and_help_commands(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.command("help")
    assert chat.where == ("ages", "age")
    chat.say("stop")
    assert chat.where == ("stop", "ask_stop")


def test_unknown_command_keeps_position(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.command("bestaatniet")
    assert chat.texts[0].startswith("Dat commando ken ik niet")
    assert chat.where == ("ages", "age")


def test_forget_clears_slots_and_emits_effect(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("16")
    chat.command("vergeet")
    chat.press("Ja, wis alles")
    assert ForgetPupil() in chat.effects
    assert chat.state.slots == {}
    assert chat.where is None


def test_flow_trigger_interrupts_and_resumes(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.trigger("stories")
    assert chat.where == ("stories", "story")


def test_empty_and_huge_and_odd_text_do_not_crash(chat: Conversation) -> None:
    chat.press("Verhaal")
    chat.say("   ")
    assert chat.texts[0] == "Ik zie geen tekst. Typ gerust wat je wil zeggen."
    for text in ["x" * 10_000, "😀😀😀", "مرحبا كيف حالك", "\u202eabc"]:
        chat.command("start")
        chat.press("Verhaal")
        chat.say(text)
        assert chat.where is None


def test_state_round_trips_through_json(chat: Conversation) -> None:
    chat.press("Leeftijd")
    chat.say("16")
    assert State.from_json(chat.state.to_json()) == chat.state


def test_step_is_pure(chat: Conversation) -> None:
    state = chat.state
    first = step(chat.content, state, PupilText("17"))
    second = step(chat.content, state, PupilText("17"))
    assert first == second
    assert chat.state is state


def test_deep_link_with_network_sets_network(tmp_path: Path) -> None:
    class Catalog:
        networks: ClassVar[dict[str, object]] = {"limburg": object()}

        def network_for_code(self, code: str) -> str | None:
            return None

    content = make_content(tmp_path, FLOWS)
    content = type(content)(
        content.flows, content.slots, content.patterns, content.texts, catalog=Catalog()
    )
    conversation = Conversation(content=content)
    conversation.send(CommandGiven("start", "limburg"))
    assert conversation.state.slots["network"] == "limburg"
    conversation.send(CommandGiven("start", "onbekend"))
    assert conversation.state.slots["network"] == "limburg"


def test_flow_triggered_unknown_flow_is_harmless(chat: Conversation) -> None:
    before = chat.where
    chat.send(FlowTriggered("does_not_exist"))
    assert chat.where == before


def test_place_named_in_passing_fills_location_for_later(tmp_path: Path) -> None:
    chat = Conversation(content=make_content(tmp_path, FLOWS, places=FakePlaces()))
    chat.command("start")
    chat.say("ik woon in genk en wil iets vertellen", nlu("inform_location", municipality="Genk"))
    assert chat.state.slots["network"] == "limburg"
    chat.command("start")
    chat.press("Plaats")
    assert chat.texts == ["Genk hoort bij limburg."]
