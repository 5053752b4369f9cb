"""The Rasa training data keeps the contract: intent names, counts, no ambiguous examples."""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from bot.flows.nlu import ENTITIES, INTENTS
from bot.nlu_tools import corpus

ROOT = Path(__file__).resolve().parents[2]
NLU = ROOT / "nlu"
BIG_INTENTS = (
    "want_to_quit_school",
    "feeling_down",
    "crisis",
    "ask_learning_paths",
    "out_of_scope",
)


def plain(example: str) -> str:
    """The example as a pupil would type it: annotations removed, spaces and case folded."""
    return corpus.plain(example).lower()


@functools.cache
def examples_by_intent() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((NLU / "data").rglob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                found[block["intent"]] += [
                    line.strip()[2:]
                    for line in block["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
    return found


def test_domain_lists_exactly_the_contract_intents_and_entities() -> None:
    domain = yaml.safe_load((NLU / "domain.yml").read_text(encoding="utf-8"))
    assert domain["intents"] == list(INTENTS)
    assert domain["entities"] == list(ENTITIES)


def test_training_data_uses_only_contract_intents() -> None:
    assert set(examples_by_intent()) == set(INTENTS)


@pytest.mark.parametrize("intent", INTENTS)
def test_each_intent_has_enough_examples(intent: str) -> None:
    minimum = 80 if intent in BIG_INTENTS else 40
    assert len(examples_by_intent()[intent]) >= minimum


def test_no_example_appears_twice_or_under_two_intents() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for intent, examples in examples_by_intent().items():
        for example in examples:
            key = plain(example)
            if key in owner:
                clashes.append((key, owner[key], intent))
            owner[key] = intent
    assert clashes == []


def test_entities_in_examples_are_contract_entities() -> None:
    used = {
        name
        for examples in examples_by_intent().values()
        for example in examples
        for name in re.findall(r"\]\((\w+)\)", example)
    }
    assert used == set(ENTITIES)


def test_lookup_table_holds_every_flemish_and_brussels_municipality() -> None:
    data = json.loads((ROOT / "content" / "places" / "places.json").read_text(encoding="utf-8"))
    lookup = yaml.safe_load((NLU / "data" / "lookups" / "municipality.yml").read_text())
    names = set(lookup["nlu"][0]["examples"].replace("- ", "").split("\n"))
    flemish = [
        m["name"].lower()
        for m in data["municipalities"].values()
        if data["provinces"][m["province"]]["network"] is not None
    ]
    assert len(flemish) == 304
    assert [name for name in flemish if name not in names] == []
    assert {"borgerhout", "gentbrugge", "molenbeek"} <= names


def test_sub_municipalities_are_synonyms_of_their_municipality() -> None:
    synonyms = yaml.safe_load(
        (NLU / "data" / "lookups" / "municipality_synonyms.yml").read_text(encoding="utf-8")
    )
    target = {
        value: block["synonym"]
        for block in synonyms["nlu"]
        for value in block["examples"].replace("- ", "").split()
    }
    assert target["borgerhout"] == "Antwerpen"
    assert target["gentbrugge"] == "Gent"
    assert target["ixelles"] == "Elsene"


def test_no_example_starts_with_a_slash() -> None:
    # Rasa reads "/name" as an intent shortcut; the bot handles /commands before the NLU.
    slashed = [
        e for examples in examples_by_intent().values() for e in examples if e.startswith("/")
    ]
    assert slashed == []
