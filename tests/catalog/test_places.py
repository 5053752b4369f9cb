"""Resolving where a pupil lives to a municipality, province and network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.catalog.networks import NETWORK_IDS as NETWORKS
from bot.catalog.places import Gazetteer, Place, load_gazetteer

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    loaded, problems = load_gazetteer(CONTENT)
    assert problems == []
    assert loaded is not None
    return loaded


@pytest.mark.parametrize(
    ("typed", "municipality", "network"),
    [
        ("Gent", "Gent", "oost_vlaanderen"),
        ("gent", "Gent", "oost_vlaanderen"),
        ("borgerhout", "Antwerpen", "antwerpen"),
        ("Gentbrugge", "Gent", "oost_vlaanderen"),
        ("  LEDEBERG ", "Gent", "oost_vlaanderen"),
        ("heverlee", "Leuven", "vlaams_brabant"),
        ("kessel lo", "Leuven", "vlaams_brabant"),
        ("sint niklaas", "Sint-Niklaas", "oost_vlaanderen"),
        ("st-truiden", "Sint-Truiden", "limburg"),
        ("genk", "Genk", "limburg"),
        ("brugge", "Brugge", "west_vlaanderen"),
        ("Molenbeek", "Sint-Jans-Molenbeek", "brussel"),
        ("ixelles", "Elsene", "brussel"),
        ("Schaerbeek", "Schaarbeek", "brussel"),
        ("bruxelles", "Brussel", "brussel"),
        ("laken", "Brussel", "brussel"),
        ("melle", "Merelbeke-Melle", "oost_vlaanderen"),
        ("borsbeek", "Antwerpen", "antwerpen"),
    ],
)
def test_names_resolve_case_and_accent_insensitively(
    gazetteer: Gazetteer, typed: str, municipality: str, network: str
) -> None:
    place = gazetteer.resolve(typed)
    assert place is not None
    assert (place.municipality, place.network) == (municipality, network)


def test_walloon_place_resolves_without_a_network(gazetteer: Gazetteer) -> None:
    place = gazetteer.resolve("Liège")
    assert place is not None
    assert place.municipality == "Luik"
    assert place.province == "Luik"
    assert place.network is None


@pytest.mark.parametrize(
    ("code", "network"),
    [
        ("1000", "brussel"),
        ("1080", "brussel"),
        ("1500", "vlaams_brabant"),
        ("2140", "antwerpen"),
        ("3000", "vlaams_brabant"),
        ("3500", "limburg"),
        ("8000", "west_vlaanderen"),
        ("9000", "oost_vlaanderen"),
        ("4000", None),
    ],
)
def test_postcodes_resolve_to_the_network(
    gazetteer: Gazetteer, code: str, network: str | None
) -> None:
    place = gazetteer.resolve(code)
    assert place is not None
    assert place.network == network


def test_known_postcode_names_its_municipality(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("2140") == Place("Antwerpen", "Antwerpen", "Antwerpen", "antwerpen")


def test_unknown_postcode_in_a_flemish_range_still_gives_the_province(gazetteer: Gazetteer) -> None:
    place = gazetteer.resolve("3999")
    assert place is not None
    assert (place.municipality, place.province, place.network) == (None, "Limburg", "limburg")


@pytest.mark.parametrize("value", ["", "0999", "12345", "atlantis", "mijn kamer"])
def test_unknown_values_do_not_resolve(gazetteer: Gazetteer, value: str) -> None:
    assert gazetteer.resolve(value) is None


@pytest.mark.parametrize(
    ("sentence", "municipality"),
    [
        ("ik woon in borgerhout eh", "Antwerpen"),
        ("kwoon in sint-jans-molenbeek", "Sint-Jans-Molenbeek"),
        ("ik zit op school in Sint Niklaas", "Sint-Niklaas"),
        ("ik woon in boom", "Boom"),
        ("mijn postcode is 9050", "Gent"),
        ("Genk", "Genk"),
        ("bij mijn pa in heist-op-den-berg", "Heist-op-den-Berg"),
    ],
)
def test_find_in_text_finds_places_in_free_sentences(
    gazetteer: Gazetteer, sentence: str, municipality: str
) -> None:
    place = gazetteer.find_in_text(sentence)
    assert place is not None
    assert place.municipality == municipality


@pytest.mark.parametrize(
    "sentence",
    [
        "ik zit in een boom",
        "ik wil stoppen met school",
        "bel 1813 als het niet gaat",
        "ik heb meer tijd nodig",
        "mijn loon is te laag",
    ],
)
def test_find_in_text_ignores_everyday_words_and_helpline_numbers(
    gazetteer: Gazetteer, sentence: str
) -> None:
    assert gazetteer.find_in_text(sentence) is None


def test_every_flemish_and_brussels_municipality_has_a_network() -> None:
    data = json.loads((CONTENT / "places" / "places.json").read_text(encoding="utf-8"))
    networks = [
        data["provinces"][m["province"]]["network"] for m in data["municipalities"].values()
    ]
    assert networks.count("brussel") == 19
    assert sum(1 for n in networks if n in NETWORKS) == 285 + 19
    assert data["reviewed"] and data["sources"]


def test_the_real_gazetteer_loads() -> None:
    # (its load time is measured in bench/, not asserted here: timed tests fail on busy CI)
    loaded, problems = load_gazetteer(CONTENT)
    assert loaded is not None and not [p for p in problems if p.severity == "error"]


def test_missing_or_broken_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    gazetteer, problems = load_gazetteer(tmp_path)
    assert gazetteer is None and "build_places" in problems[0].hint
    (tmp_path / "places").mkdir()
    (tmp_path / "places" / "places.json").write_text('{"provinces": ', encoding="utf-8")
    gazetteer, problems = load_gazetteer(tmp_path)
    assert gazetteer is None and problems[0].line == 1


def test_dangling_reference_is_reported(tmp_path: Path) -> None:
    data = json.loads((CONTENT / "places" / "places.json").read_text(encoding="utf-8"))
    data["places"]["Nergenshuizen"] = "99999"
    (tmp_path / "places").mkdir()
    (tmp_path / "places" / "places.json").write_text(json.dumps(data), encoding="utf-8")
    gazetteer, problems = load_gazetteer(tmp_path)
    assert gazetteer is None
    assert any("Nergenshuizen" in p.message for p in problems)
