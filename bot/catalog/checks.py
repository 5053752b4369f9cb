"""Checks of the catalog against the rest of the content: places and slots."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path

from bot.catalog.catalog import Catalog
from bot.catalog.matching import REGIONAL_MINIMUM, regional_help
from bot.catalog.matching import Place as MatchPlace
from bot.catalog.places import Gazetteer
from bot.catalog.templates import hint, resource_fields, route_fields, unfilled
from bot.flows.problems import Problem


def check(
    catalog: Catalog | None,
    gazetteer: Gazetteer | None,
    slots: Collection[str],
    content_dir: Path,
) -> list[Problem]:
    """Unknown municipalities; placeholders in facts and templates that nothing fills."""
    if catalog is None:
        return []
    problems = list(_fact_placeholders(catalog, frozenset(slots)))
    for name, templates, fields in (
        ("paths.yml", catalog.route_templates, route_fields),
        ("resources.yml", catalog.resource_templates, resource_fields),
    ):
        problems += _template_placeholders(content_dir / name, templates, fields)
    if gazetteer is not None:
        problems += _municipalities(catalog, gazetteer)
        problems += _regional_coverage(catalog, gazetteer, content_dir)
    return problems


def _regional_coverage(catalog: Catalog, gazetteer: Gazetteer, content_dir: Path
                       ) -> Iterator[Problem]:
    """Every municipality of Flanders and Brussels gets at least two regional resources."""
    reaches = [(r.id, r.reach) for r in catalog.resources]
    short = []
    for name in sorted(gazetteer.municipalities()):
        place = gazetteer.resolve(name)
        if place is None or place.network is None:
            continue
        found = regional_help(reaches, MatchPlace(place.network, place.municipality))
        if len(found) < REGIONAL_MINIMUM:
            short.append(f"{name} ({len(found)})")
    if short:
        yield Problem(
            "content/resources.yml", None,
            f"{len(short)} municipalities get fewer than {REGIONAL_MINIMUM} regional help "
            f"resources: {', '.join(short[:10])}{' ...' if len(short) > 10 else ''}",
            "add a resource with 'networks:' or 'municipalities:' that covers them",
            severity="warning")


def _municipalities(catalog: Catalog, gazetteer: Gazetteer) -> Iterator[Problem]:
    official = {name.casefold(): name for name in gazetteer.municipalities()}
    for resource in catalog.resources:
        for name in sorted(resource.reach.municipalities):
            if name.casefold() in official:
                continue
            place = gazetteer.resolve(name)
            if place is not None and place.municipality:
                message = (
                    f"resource '{resource.id}': '{name}' is part of the municipality "
                    f"'{place.municipality}'; the bot matches whole municipalities, so this "
                    "resource is never shown"
                )
                hint = f"write municipalities: [{place.municipality}]"
            else:
                close = difflib.get_close_matches(name, sorted(official.values()), n=1, cutoff=0.6)
                message = (
                    f"resource '{resource.id}': municipality '{name}' is not in content/places, "
                    "so this resource is never shown"
                )
                hint = (
                    f"did you mean {close[0]}? " if close else ""
                ) + "write the official name of a Belgian municipality, e.g. Genk"
            yield Problem(resource.sourced.file, resource.sourced.line, message, hint)


def _fact_placeholders(catalog: Catalog, slots: frozenset[str]) -> Iterator[Problem]:
    for fact in catalog.facts.values():
        for text in fact.texts:
            for name, closest in unfilled(text, slots):
                yield Problem(
                    fact.sourced.file,
                    fact.sourced.line,
                    f"fact '{fact.id}' uses '{{{name}}}', which is not a declared slot: "
                    "the pupil would see nothing there",
                    (f"did you mean {{{closest}}}? " if closest else "")
                    + "use a slot declared in a slots file, or write the words themselves",
                )


def _template_placeholders(
    path: Path, templates: Mapping[str, str], fields: Callable[[str], frozenset[str]]
) -> Iterator[Problem]:
    lines: list[str] | None = None
    for key, text in templates.items():
        for name, closest in unfilled(text, fields(key)):
            lines = lines if lines is not None else path.read_text(encoding="utf-8").splitlines()
            yield Problem(
                f"content/{path.name}",
                _key_line(lines, key),
                f"template '{key}' uses '{{{name}}}', which the bot does not fill in here: "
                "the pupil would see nothing there",
                hint(closest, fields(key)),
            )


def _key_line(lines: list[str], key: str) -> int | None:
    """The line of `key:` under `templates:` (templates are the last block of their file)."""
    pattern = re.compile(rf"^\s+{re.escape(key)}\s*:")
    start = next((i for i, line in enumerate(lines) if line.startswith("templates:")), 0)
    return next((i + 1 for i in range(start, len(lines)) if pattern.match(lines[i])), None)
