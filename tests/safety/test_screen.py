"""The safety screen: what counts as a crisis, how writing variants and hyperbole are handled."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from bot.flows.nlu import NluResult
from bot.safety.screen import Category, Lexicon, Verdict, screen

SUICIDE = Category.SUICIDE_SELF_HARM
VIOLENCE = Category.VIOLENCE_ABUSE
ACUTE = Category.ACUTE_DANGER


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ik wil dood", SUICIDE),
        ("Ik wil ZELFMOORD plegen!!!", SUICIDE),
        ("ik denk aan zelfdoding", SUICIDE),
        ("mijn vader slaat mij", VIOLENCE),
        ("ik ben verkracht", VIOLENCE),
        ("ik heb een hele doos pillen genomen", ACUTE),
        ("er staat iemand met een mes voor de deur", ACUTE),
    ],
)
def test_plain_crisis_statements_get_the_crisis_of_their_category(
    lexicon: Lexicon, text: str, category: Category
) -> None:
    verdict = screen(text, lexicon)
    assert verdict.level == "crisis"
    assert verdict.category == category


@pytest.mark.parametrize(
    "text",
    [
        "ik wil dooooood",  # repeated letters
        "ik wil z3lfm00rd plegen",  # leetspeak
        "ik wil zélfmoord plegen",  # accents
        "kwilzelfmoordplegen",  # no spaces
        "k wil nie meer leve",  # tussentaal, dropped n
        "kzie et nie meer zitte",  # tussentaal
        "ik wil zelfmrood plegen",  # swapped letters
        "ik wil zelf-moord plegen",  # hyphen
        "ik ben suïcidaal",
        "je veux mourir",
        "i want to kill myself",
    ],
)
def test_writing_variants_of_a_suicide_wish_are_recognised(lexicon: Lexicon, text: str) -> None:
    assert screen(text, lexicon) == Verdict("crisis", SUICIDE, screen(text, lexicon).rule)


@pytest.mark.parametrize(
    "text",
    [
        "ik ga dood van het lachen",
        "ik ben doodmoe",
        "die toets was zelfmoord",
        "ik vermoord mijn broer als hij mijn gsm pakt haha",
        "dodelijk saai",
        "ik sterf van de honger",
        "she was killing it",
        "ik ging dood in minecraft",
        "mijn gsm reageert niet meer",
        "mijn knie doet me pijn",
        "ik ben geslaagd!",
    ],
)
def test_everyday_exaggeration_is_not_a_crisis(lexicon: Lexicon, text: str) -> None:
    assert screen(text, lexicon).level in ("none", "care")  # care: a calm answer, no alarm


def test_a_crisis_after_a_hyperbole_in_the_same_message_still_counts(lexicon: Lexicon) -> None:
    verdict = screen("ik lag dood van het lachen gisteren, maar nu wil ik echt dood", lexicon)
    assert verdict.level == "crisis"


def test_a_negated_wish_gets_a_gentle_check_not_silence(lexicon: Lexicon) -> None:
    assert screen("ik wil NIET dood", lexicon).level == "check"
    assert screen("ik zou mezelf nooit iets aandoen", lexicon).level == "check"


def test_doubt_about_wanting_to_live_is_a_crisis_despite_the_word_niet(lexicon: Lexicon) -> None:
    assert screen("ik weet niet of ik nog wil leven", lexicon).level == "crisis"
    assert screen("ik wil niet meer leven", lexicon).level == "crisis"


def test_a_joke_marker_turns_a_crisis_into_a_check_question(lexicon: Lexicon) -> None:
    assert (
        screen("ik wil zelfmoord plegen als ik dat liedje nog hoor haha", lexicon).level == "check"
    )


def test_ambiguous_hopelessness_gets_a_check(lexicon: Lexicon) -> None:
    assert screen("alles is zinloos", lexicon).level == "check"


def test_acute_danger_wins_when_several_categories_fire(lexicon: Lexicon) -> None:
    verdict = screen("ik wil dood en ik heb net al mijn pillen geslikt", lexicon)
    assert (verdict.level, verdict.category) == ("crisis", ACUTE)


def test_the_verdict_names_the_rule_not_the_text(lexicon: Lexicon) -> None:
    verdict = screen("ik wil dood", lexicon)
    assert verdict.rule is not None
    assert "dood" not in verdict.rule
    assert verdict.rule in {r.id for r in lexicon.rules}


def nlu(confidence: float, intent: str = "crisis") -> NluResult:
    return NluResult(intent, confidence)


def test_the_nlu_alone_raises_to_check_but_never_to_a_crisis_reply(lexicon: Lexicon) -> None:
    # Measured: Rasa is very sure of itself on hyperbole, so alone it only asks (safety.yml).
    text = "het gaat niet zo goed met mij"
    assert screen(text, lexicon).level == "none"
    assert screen(text, lexicon, nlu(lexicon.nlu.check_threshold)).level == "check"
    strong = screen(text, lexicon, nlu(0.999))
    assert (strong.level, strong.rule) == ("check", "nlu:crisis")


def test_the_nlu_never_lowers_a_lexicon_crisis(lexicon: Lexicon) -> None:
    verdict = screen("ik wil dood", lexicon, nlu(0.99, "greet"))
    assert verdict.level == "crisis"


def test_the_nlu_does_not_turn_a_lexicon_check_into_a_crisis(lexicon: Lexicon) -> None:
    # Measured (README "Safety figures"): it cost false crisis replies and no labelled recall.
    assert lexicon.nlu.confirm_threshold == float("inf")
    assert screen("alles is zinloos", lexicon, nlu(0.999)).level == "check"


def test_a_confirm_threshold_lets_the_nlu_turn_a_check_into_a_crisis(lexicon: Lexicon) -> None:
    confirming = replace(lexicon, nlu=replace(lexicon.nlu, confirm_threshold=0.8))
    assert screen("alles is zinloos", confirming, nlu(0.8)).level == "crisis"
    assert screen("alles is zinloos", confirming, nlu(0.7)).level == "check"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("in fortnite ben ik weer dood gegaan", "none"),
        # Rasa gave this parent's line `crisis` 0.99: the rules see a physical complaint
        ("Hij zegt dat hij buikpijn heeft elke ochtend", "care"),
    ],
)
def test_the_nlu_is_quiet_where_the_rules_see_everyday_language_or_care(
    lexicon: Lexicon, text: str, level: str
) -> None:
    assert screen(text, lexicon, nlu(0.999)).level == level
    loud = replace(lexicon, nlu=replace(lexicon.nlu, quiet_in_everyday=False))
    assert screen(text, loud, nlu(0.999)).level == "check"


def test_the_nlu_cannot_turn_a_known_hyperbole_into_a_crisis(lexicon: Lexicon) -> None:
    assert screen("ik ga dood van het lachen", lexicon, nlu(0.99)).level != "crisis"
    assert screen("ik ga dood van het lachen", lexicon, nlu(0.5)).level == "none"


def test_degraded_mode_without_nlu_still_finds_the_crisis(lexicon: Lexicon) -> None:
    assert screen("mijn stiefvader slaat me elke avond", lexicon, None).level == "crisis"


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "مرحبا كيف حالك", "7", "/start", "\x00\n\t"])
def test_odd_input_is_screened_without_error(lexicon: Lexicon, text: str) -> None:
    assert screen(text, lexicon).level == "none"


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000,
        "ik wil " * 1_500,
        "ik ga dood van het lachen " * 400,
        "kwilzelfmoordplegen " * 500,
        "x" * 9_990 + " ik wil dood",
        ("niet " * 2_000) + "dood",
    ],
)
def test_a_ten_thousand_character_text_does_not_blow_up(lexicon: Lexicon, text: str) -> None:
    started = time.perf_counter()
    screen(text, lexicon)
    assert time.perf_counter() - started < 0.5


def test_a_crisis_buried_at_the_end_of_a_long_text_is_found(lexicon: Lexicon) -> None:
    text = "ik heb een vraag over school. " * 300 + "eigenlijk wil ik gewoon niet meer leven"
    assert screen(text, lexicon).level == "crisis"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("mijn beste vriend zegt dat hij zich wil ophangen", SUICIDE),  # someone else at risk
        ("ik ben daarnet gestoken met een mes", ACUTE),  # filler word between
        ("ik kras al weken in mijn benen", SUICIDE),
        ("ik heb een heel potje pillen genomen", ACUTE),  # a container as quantity
        ("ik kocht een koord om mezelf op te hangen", SUICIDE),  # purpose clause
        ("mijn pa zegt dat hij me doodmaakt als ik het aan de juf vertel", VIOLENCE),
    ],
)
def test_concepts_generalise_beyond_the_exact_phrases(
    lexicon: Lexicon, text: str, category: Category
) -> None:
    verdict = screen(text, lexicon)
    assert (verdict.level, verdict.category) == ("crisis", category)


def test_a_negation_in_an_earlier_clause_does_not_undo_a_wish(lexicon: Lexicon) -> None:
    assert screen("ik weet het niet, ik wil gewoon dood", lexicon).level == "crisis"
    assert screen("ik weet het niet ik wil gewoon dood", lexicon).level == "crisis"
    assert screen("ik wil niet dood", lexicon).level == "check"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("dat ze niet meer wil leven zei mijn zus", SUICIDE),  # verb-final subordinate clause
        ("ik wou er vanaf het dak willen springen", SUICIDE),  # modal between place and verb
        ("als ik de pakjes niet rondbreng slaan ze me", VIOLENCE),  # negation of the condition
        ("hij ging door terwijl ik nee zei", VIOLENCE),  # non-consent without a coercion verb
        ("mijn zus is flauwgevallen en wordt niet wakker", ACUTE),  # the niet is the danger
    ],
)
def test_word_order_and_negation_scope_follow_dutch_grammar(
    lexicon: Lexicon, text: str, category: Category
) -> None:
    verdict = screen(text, lexicon)
    assert (verdict.level, verdict.category) == ("crisis", category)


@pytest.mark.parametrize(
    "text",
    [
        "ik denk er niet aan om mezelf iets aan te doen",
        "zelfmoord is geen oplossing, dat weet ik",
        "ik kras niet meer sinds twee jaar",
        "ik heb mezelf pijn gedaan bij de fitness",
        "we hebben over zelfmoord geleerd in de les godsdienst",
        "mijn pa gaat me doodslaan als hij mijn rapport ziet",
    ],
)
def test_negated_accidental_and_topical_uses_get_no_crisis_reply(
    lexicon: Lexicon, text: str
) -> None:
    assert screen(text, lexicon).level != "crisis"


def test_a_whole_message_of_giving_up_is_asked_about_but_not_a_sentence_start(
    lexicon: Lexicon,
) -> None:
    assert screen("ik wil ni meer", lexicon).level == "check"
    assert screen("ik wil niet meer naar school", lexicon).level == "none"


def test_long_texts_searched_in_windows_give_the_same_verdicts_as_a_full_scan(
    lexicon: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    filler = "ik heb een vraag over school en mijn punten zijn niet zo goed dit jaar. " * 40
    endings = [
        "ik wil niet meer leven",
        "mijn vader slaat mij",
        "ik heb 20 pillen genomen",
        "ik ga dood van het lachen",
        "ik wil ni meer",
        "mijn pa gaat me doodslaan",
    ]
    windowed = [screen(filler + text + ". " + filler, lexicon) for text in endings]
    monkeypatch.setattr("bot.safety.screen.LONG_TEXT", 10**9)
    full = [screen(filler + text + ". " + filler, lexicon) for text in endings]
    assert windowed == full
    assert [v.level for v in windowed] == ["crisis", "crisis", "crisis", "none", "none", "check"]
