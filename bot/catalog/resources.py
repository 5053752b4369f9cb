"""Help resources in `content/resources.yml`: who helps, for whom, and how to reach them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.catalog.files import CatalogFile, Sourced, sourced
from bot.catalog.matching import Reach

RESOURCE_TEMPLATES = (
    "resources_intro",
    "resources_none",
    "resources_region_hint",
    "resource_name",
    "resource_what",
    "resource_phone",
    "resource_chat",
    "resource_url",
    "resource_hours",
    "resource_no_hours",
    "resource_cost",
)


@dataclass(frozen=True, slots=True)
class Resource:
    """An organisation that helps, with how to reach it."""

    id: str
    name: str
    what: str
    reach: Reach
    phone: str | None = None
    chat: str | None = None
    url: str | None = None
    hours: str | None = None
    cost: str | None = None
    sourced: Sourced = field(default_factory=Sourced)


def parse_resources(ctx: CatalogFile) -> tuple[tuple[Resource, ...], dict[str, str]]:
    """The resources of a schema-checked resources.yml and its templates."""
    data = ctx.doc.data
    templates = {str(k): str(v) for k, v in data["templates"].items()}
    for key in sorted(set(RESOURCE_TEMPLATES) - set(templates)):
        ctx.error(("templates",), f"template '{key}' is missing", "add it under 'templates:'")
    resources: list[Resource] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["resources"]):
        path = ("resources", index)
        rid = raw["id"]
        if rid in seen:
            ctx.error((*path, "id"), f"resource id '{rid}' is used twice", "rename one")
        seen.add(rid)
        if not any(raw.get(k) for k in ("phone", "url", "chat")):
            ctx.error(
                path,
                f"resource '{rid}' has neither a phone number nor a link",
                "add 'phone:', 'url:' or 'chat:' so the pupil can reach it",
            )
        age = raw["age"]
        if age["min"] > age["max"]:
            ctx.error(
                (*path, "age"),
                f"resource '{rid}': age min {age['min']} is higher than max {age['max']}",
                "swap or fix the ages",
            )
        reach = Reach(
            frozenset(raw["topics"]),
            age["min"],
            age["max"],
            frozenset(raw.get("networks", ())),
            frozenset(raw.get("municipalities", ())),
            bool(raw.get("show_without_region", False)),
            raw.get("url") or raw.get("chat") or raw.get("phone"),
            raw.get("in_school"),
        )
        resources.append(
            Resource(
                rid,
                raw["name"],
                raw["what"],
                reach,
                raw.get("phone"),
                raw.get("chat"),
                raw.get("url"),
                raw.get("hours"),
                raw.get("cost"),
                sourced(ctx, path, raw, f"resource '{rid}'"),
            )
        )
    return tuple(resources), templates
