"""What the flows package reads of data other capabilities load (catalog, places).

`bot.flows` may not import those packages (the layers), so it names the few attributes it uses
here; the catalog's and the gazetteer's own classes satisfy these protocols.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.flows.conditions import Condition


class SourcedView(Protocol):
    """Where a catalog entry is written (for file:line in the checker's reports)."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int | None: ...


class RouteView(Protocol):
    """The texts of a learning route that a pupil reads."""

    @property
    def short(self) -> str: ...
    @property
    def what(self) -> str: ...
    @property
    def qualification(self) -> str: ...
    @property
    def cost(self) -> str: ...
    @property
    def duration(self) -> str: ...
    @property
    def sourced(self) -> SourcedView: ...


class ResourceView(Protocol):
    """The text of a help resource that a pupil reads."""

    @property
    def what(self) -> str: ...
    @property
    def sourced(self) -> SourcedView: ...


class FactView(Protocol):
    """The texts of a fact."""

    @property
    def texts(self) -> tuple[str, ...]: ...
    @property
    def sourced(self) -> SourcedView: ...


class SummaryLineView(Protocol):
    """One line of a summary: its text, its condition and where it is written."""

    @property
    def text(self) -> str | None: ...
    @property
    def condition(self) -> Condition | None: ...
    @property
    def line(self) -> int | None: ...


class SummaryView(Protocol):
    """A summary built from the slots."""

    @property
    def id(self) -> str: ...
    @property
    def lines(self) -> Sequence[SummaryLineView]: ...


class CatalogView(Protocol):
    """The catalog as the flows see it: deep-link networks and what the quality checks read."""

    @property
    def routes(self) -> Mapping[str, RouteView]: ...
    @property
    def resources(self) -> Sequence[ResourceView]: ...
    @property
    def facts(self) -> Mapping[str, FactView]: ...
    @property
    def summaries(self) -> Mapping[str, SummaryView]: ...
    @property
    def networks(self) -> Mapping[str, object]: ...
    def network_for_code(self, code: str) -> str | None:
        """The network id for a deep-link code (`/start <code>`), or None."""
        ...


class PlaceView(Protocol):
    """A place a pupil named: what the slots take from it."""

    @property
    def name(self) -> str: ...
    @property
    def municipality(self) -> str | None: ...
    @property
    def province(self) -> str | None: ...
    @property
    def network(self) -> str | None: ...


class PlaceFinder(Protocol):
    """Finds the place a pupil means (the gazetteer of bot.catalog.places)."""

    def resolve(self, text: str) -> PlaceView | None:
        """The place a whole answer or an NLU entity names, or None."""
        ...

    def find_in_text(self, text: str) -> PlaceView | None:
        """A place named somewhere in a free sentence, or None."""
        ...
