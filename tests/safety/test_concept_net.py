"""The concept net: word families that fire together in any order, frames that lower them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety.lexicon import load
from bot.safety.screen import Category, Lexicon, screen

SUICIDE = Category.SUICIDE_SELF_HARM
VIOLENCE = Category.VIOLENCE_ABUSE
ACUTE = Category.ACUTE_DANGER

NET = """\
words:
  me: [me, mij]
rules:
  suicide_self_harm:
    - {id: wish, level: crisis, patterns: ["wil zelfmoord plegen"]}
  violence_abuse:
    - {id: hit, level: crisis, patterns: ["slaat @me"]}
  acute_danger:
    - {id: pills, level: crisis, patterns: ["# pillen genomen"]}
harmless:
  - {id: laugh, patterns: ["dood van het lachen"]}
concepts:
  frame_window: 4
  families:
    blade: [mes, "scheermes*"]
    body: [arm, armen, "mijn (pols|polsen)"]
    kitchen: [ui, groenten, koken]
    film: [film, serie]
  frames:
    - {family: film, categories: [suicide_self_harm], cap: check}
  net:
    suicide_self_harm:
      - {id: blade_on_body, level: crisis, needs: [blade, body], within: 4, unless: [kitchen]}
helplines:
  lines:
    - {id: z, name: Zelfmoordlijn, number: "1813", for: x, hours: 24/7, url: u, source: s,
       reviewed: "2026-01-01", text: "Bel 1813."}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "safety.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_net_rule_fires_on_its_families_in_any_order(tmp_path: Path) -> None:
    lexicon, problems = load(write(tmp_path, NET))
    assert problems == [] and lexicon is not None
    for text in ("een mes op mijn pols", "mijn polsen en scheermesjes", "mes in arm"):
        assert screen(text, lexicon).rule == "blade_on_body", text
    assert screen("een mes en veel later, heel veel later pas, mijn arm", lexicon).level == "none"


def test_a_harmless_frame_near_the_families_lowers_the_net_rule(tmp_path: Path) -> None:
    lexicon, _ = load(write(tmp_path, NET))
    assert lexicon is not None
    assert screen("met het mes de ui snijden, au mijn arm", lexicon).level == "none"
    assert screen("in de film zet hij een mes op zijn arm", lexicon).level == "check"
    assert screen("ik wil zelfmoord plegen zoals in die film", lexicon).level == "check"


def test_unknown_families_and_bad_net_rules_are_reported_with_their_lines(
    tmp_path: Path,
) -> None:
    broken = NET.replace("needs: [blade, body]", "needs: [blade, bodies]").replace(
        "cap: check}", "cap: maybe}"
    )
    lexicon, problems = load(write(tmp_path, broken))
    assert lexicon is None
    lines = broken.splitlines()
    messages = {p.message: p.line for p in problems}
    assert messages["unknown family 'bodies'"] == next(
        i for i, t in enumerate(lines, 1) if "bodies" in t
    )
    assert any("cap 'maybe'" in m for m in messages)
    assert all(p.file == "content/safety.yml" and p.hint for p in problems)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("wallah kga me van kant maken", SUICIDE),  # code-switching, tussentaal
        ("'k goan mezelven ophangen", SUICIDE),  # West-Flemish written out
        ("vannacht maak ik er een eind aan", SUICIDE),  # verb-first word order
        ("mesje ligt klaar onder mijn matras", SUICIDE),  # means kept ready
        ("mijn stiefvader zit aan mij als mama slaapt", VIOLENCE),
        ("mijne pa klopt mij als hij zat is", VIOLENCE),  # Flemish kloppen = slaan
        ("die vent van 40 wil afspreken en ik mag het aan niemand zeggen", VIOLENCE),
        ("mijn broer ligt in bad en reageert niet meer", ACUTE),
        ("mijn maat heeft xtc genomen en zijn hart gaat super snel", ACUTE),
    ],
)
def test_the_real_net_catches_ideas_in_unseen_wording(
    lexicon: Lexicon, text: str, category: Category
) -> None:
    verdict = screen(text, lexicon)
    assert (verdict.level, verdict.category) == ("crisis", category)


@pytest.mark.parametrize(
    "text",
    [
        "ik snij de groenten met een scherp mes voor de soep",
        "in fortnite ben ik 5 keer doodgegaan, ik wil dood van frustratie",
        "mijn broer heeft me geslagen met een kussen, kussengevecht",
        "mijn opa is dood en ik denk veel aan hem",
        "ik heb mijn pillen genomen tegen de hoofdpijn",
        "we leerden bij EHBO wat je doet als iemand niet ademt",
        "dat klopt, mijn broer zegt het ook",
    ],
)
def test_the_real_net_leaves_everyday_frames_without_a_crisis_reply(
    lexicon: Lexicon, text: str
) -> None:
    assert screen(text, lexicon).level != "crisis"


def test_every_family_is_used_by_a_net_rule_or_a_frame(lexicon: Lexicon) -> None:
    used = {name for rule in lexicon.net for name in (*rule.needs, *rule.unless)}
    used |= {frame.family for frame in lexicon.frames}
    assert set(lexicon.concepts) - used == set()
