"""The catalog: learning routes, help resources, networks, facts and summaries in `content/`.

Each file has its own module (routes, resources, networks, summaries); this one reads them all
and puts them together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.catalog.files import CatalogFile, Sourced, read
from bot.catalog.networks import Network, OfficeHours, parse_networks
from bot.catalog.resources import Resource, parse_resources
from bot.catalog.routes import Route, parse_routes
from bot.catalog.summaries import Fact, Summary, SummaryLine, parse_facts, parse_summaries
from bot.flows.problems import Problem
from bot.flows.text import normalize

_FILES = {
    "paths": ("paths.yml", "paths.schema.json"),
    "resources": ("resources.yml", "resources.schema.json"),
    "networks": ("networks.yml", "networks.schema.json"),
    "facts": ("facts.yml", "facts.schema.json"),
    "summaries": ("summaries.yml", "summaries.schema.json"),
}


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything the built-in actions need to show routes, resources, facts and summaries."""

    routes: Mapping[str, Route]
    route_templates: Mapping[str, str]
    resources: tuple[Resource, ...]
    resource_templates: Mapping[str, str]
    networks: Mapping[str, Network]
    facts: Mapping[str, Fact]
    summaries: Mapping[str, Summary]
    _codes: Mapping[str, str] = field(default_factory=dict)
    # each route with its id and name, and its match words, normalised once at load
    _heard: tuple[tuple[Route, frozenset[str], tuple[str, ...]], ...] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_heard", tuple(
            (route, frozenset({normalize(route.id.replace("_", " ")), normalize(route.name)}),
             tuple(normalize(word) for word in route.match))
            for route in self.routes.values()))

    def network_for_code(self, code: str) -> str | None:
        """The network id for a deep-link code (`/start <code>`), or None."""
        key = normalize(code).replace(" ", "_")
        return key if key in self.networks else self._codes.get(key)

    def find_route(self, text: str) -> Route | None:
        """The route a pupil means: its id, its name, or one of its match words."""
        key = normalize(text)
        if not key:
            return None
        for route, names, _ in self._heard:
            if key in names:
                return route
        padded = f" {key} "
        for route, _, words in self._heard:
            if any(f" {word} " in padded for word in words):
                return route
        return None


def load(content_dir: Path, today: dt.date | None = None) -> tuple[Catalog | None, list[Problem]]:
    """Load and check the catalog files; the Catalog is None when there are errors."""
    day = today or dt.date.today()
    problems: list[Problem] = []
    files: dict[str, CatalogFile] = {}
    for key, (name, schema) in _FILES.items():
        ctx, found = read(content_dir, name, schema, day)
        problems += found
        if ctx is not None:
            files[key] = ctx
    if len(files) < len(_FILES):
        return None, problems
    facts = parse_facts(files["facts"])
    routes, route_templates = parse_routes(files["paths"])
    resources, resource_templates = parse_resources(files["resources"])
    networks = parse_networks(files["networks"])
    summaries = parse_summaries(files["summaries"], facts)
    for ctx in files.values():
        problems += ctx.problems
    catalog = Catalog(
        routes,
        route_templates,
        resources,
        resource_templates,
        networks.by_id,
        facts,
        summaries,
        networks.codes,
    )
    if any(p.severity == "error" for p in problems):
        return None, problems
    return catalog, problems


__all__ = [
    "Catalog",
    "Fact",
    "Network",
    "OfficeHours",
    "Resource",
    "Route",
    "Sourced",
    "Summary",
    "SummaryLine",
    "load",
]
