"""Help nearby in every region: every municipality of content/places resolves to at least two
regional help resources (issue 16), and the checker warns when one does not."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from bot.catalog.catalog import Catalog, load
from bot.catalog.checks import check
from bot.catalog.matching import REGIONAL_MINIMUM, Place, regional_help
from bot.catalog.places import Gazetteer, load_gazetteer

CONTENT = Path(__file__).resolve().parents[2] / "content"
NETWORKS = {"antwerpen", "brussel", "limburg", "oost_vlaanderen", "vlaams_brabant",
            "west_vlaanderen"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    loaded, problems = load(CONTENT, today=dt.date(2026, 12, 6))
    assert loaded is not None, [p.render() for p in problems]
    return loaded


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    loaded, problems = load_gazetteer(CONTENT)
    assert loaded is not None, problems
    return loaded


def coverage(catalog: Catalog, gazetteer: Gazetteer) -> dict[str, tuple[str, list[str]]]:
    """Every municipality of Flanders and Brussels: its network and its regional resources."""
    reaches = [(r.id, r.reach) for r in catalog.resources]
    found: dict[str, tuple[str, list[str]]] = {}
    for name in sorted(gazetteer.municipalities()):
        place = gazetteer.resolve(name)
        assert place is not None, name
        if place.network is None:  # Wallonia: no network of Flanders or Brussels
            continue
        found[name] = (place.network, regional_help(reaches, Place(place.network, name)))
    return found


def test_every_municipality_resolves_to_at_least_two_regional_resources(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    found = coverage(catalog, gazetteer)
    assert len(found) > 300
    assert {network for network, _ in found.values()} == NETWORKS
    short = {name: ids for name, (_, ids) in found.items() if len(ids) < REGIONAL_MINIMUM}
    assert short == {}


def test_coverage_per_region_is_printable(catalog: Catalog, gazetteer: Gazetteer) -> None:
    per_network: Counter[str] = Counter()
    fewest: dict[str, int] = {}
    for network, ids in coverage(catalog, gazetteer).values():
        per_network[network] += 1
        fewest[network] = min(fewest.get(network, 99), len(ids))
    assert all(fewest[n] >= REGIONAL_MINIMUM for n in NETWORKS), fewest


def test_checker_warns_when_a_municipality_has_too_little_regional_help(
    catalog: Catalog, gazetteer: Gazetteer
) -> None:
    assert not [p for p in check(catalog, gazetteer, (), CONTENT) if "regional help" in p.message]
    national_only = replace(catalog, resources=tuple(
        r for r in catalog.resources if not (r.reach.networks or r.reach.municipalities)))
    warnings = [p for p in check(national_only, gazetteer, (), CONTENT)
                if "regional help" in p.message]
    assert len(warnings) == 1 and warnings[0].severity == "warning"
    assert warnings[0].file == "content/resources.yml"
