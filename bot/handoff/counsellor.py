"""Load `content/counsellor.yml` (handoff texts), with the network names and office hours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.catalog.networks import OfficeHours, load_networks
from bot.flows.loader import load_checked, load_slots, relative
from bot.flows.problems import Problem
from bot.flows.text import fill
from bot.flows.yamlio import YamlDoc
from bot.handoff.desk_texts import DeskTexts
from bot.handoff.required_texts import text_problems

FILE = "counsellor.yml"
ZONE = "Europe/Brussels"

# Every text the bot needs, with the placeholders it may use.
COUNSELLOR_TEXTS: Mapping[str, frozenset[str]] = {
    "case_title": frozenset({"case", "kind", "network", "consent", "created"}),
    "case_title_urgent": frozenset({"case", "kind", "network", "consent", "created"}),
    "case_facts": frozenset({"network", "consent", "created"}),
    "case_previous": frozenset({"name", "mention"}),
    "case_nothing_shared": frozenset(),
    "case_summary_intro": frozenset(),
    "case_summary_line": frozenset({"label", "value"}),
    "case_how": frozenset(),
    "claim_button": frozenset(),
    "close_button": frozenset(),
    "transcript_button": frozenset(),
    "claimed": frozenset({"case", "name"}),
    "already_claimed": frozenset({"case", "name"}),
    "not_allowed": frozenset({"case"}),
    "reserved": frozenset({"case", "name", "minutes"}),
    "only_claimer": frozenset({"case", "name"}),
    "not_open": frozenset({"case"}),
    "choose_outcome": frozenset({"case"}),
    "closed": frozenset({"case", "name", "outcome"}),
    "pupil_says": frozenset({"case", "text"}),
    "pupil_ended": frozenset({"case"}),
    "pupil_cancelled": frozenset({"case"}),
    "erased": frozenset({"case"}),
    "reminder": frozenset({"case", "minutes"}),
    "transcript_title": frozenset({"case", "part", "parts"}),
    "transcript_none": frozenset({"case"}),
    "transcript_empty": frozenset({"case"}),
    "transcript_pupil": frozenset({"text"}),
    "transcript_bot": frozenset({"text"}),
    "transcript_counsellor": frozenset({"text"}),
    "alert": frozenset({"category", "network", "time"}),
    "alert_case": frozenset({"case", "category", "time"}),
    "email_subject": frozenset({"case", "kind", "network", "created"}),
    "email_subject_urgent": frozenset({"case", "kind", "network", "created"}),
    "email_body": frozenset({"case", "kind", "network", "created"}),
    "unknown_network": frozenset(),
}
PUPIL_TEXTS: Mapping[str, frozenset[str]] = {
    "waiting_open": frozenset({"network", "minutes"}),
    "waiting_closed": frozenset({"network", "when"}),
    "meanwhile": frozenset(),
    "any_network": frozenset(),
    "no_counsellor": frozenset(),
    "delayed": frozenset({"when"}),
    "delayed_now": frozenset(),
    "already_open": frozenset(),
    "already_talking": frozenset({"name"}),
    "cancel_button": frozenset(),
    "claimed": frozenset({"name", "role"}),
    "end_button": frozenset(),
    "relay": frozenset({"name", "role", "text"}),
    "closed": frozenset({"name"}),
    "closed_unclaimed": frozenset(),
    "today": frozenset({"time"}),
    "tomorrow": frozenset({"time"}),
    "later": frozenset({"day", "time"}),
}


@dataclass(frozen=True, slots=True)
class SummaryField:
    """One line of the case summary: a slot, its label, and the slot that must say "yes"."""

    slot: str
    label: str
    when_shared: str | None = None


@dataclass(frozen=True)
class CounsellorTexts:
    """Everything `content/counsellor.yml` says, plus office hours and network names."""

    roles: Mapping[str, str]
    kinds: Mapping[str, str]
    consent: Mapping[str, str]
    outcomes: Mapping[str, str]
    summary: tuple[SummaryField, ...]
    weekdays: tuple[str, ...]
    counsellor: Mapping[str, str]
    categories: Mapping[str, str]
    pupil: Mapping[str, str]
    network_names: Mapping[str, str] = field(default_factory=dict)
    hours: Mapping[str, OfficeHours] = field(default_factory=dict)
    default_hours: OfficeHours | None = None
    # content/desk.yml (bot.content adds it): the counsellor desk reads it from here, so a
    # content reload reaches the desk too
    desk: DeskTexts = field(default_factory=lambda: DeskTexts((), {}, {}, {}))

    def c(self, key: str, **values: object) -> str:
        """A counsellor-facing text with its placeholders filled."""
        return fill(self.counsellor[key], values)

    def p(self, key: str, **values: object) -> str:
        """A pupil-facing text with its placeholders filled."""
        return fill(self.pupil[key], values)

    def role(self, key: str | None) -> str:
        """The pupil-facing label of a counsellor role."""
        return self.roles.get(key or "default") or self.roles["default"]

    def network(self, network: str | None) -> str:
        """The display name of a network."""
        return self.network_names.get(network or "") or self.c("unknown_network")

    def hours_for(self, network: str | None) -> OfficeHours | None:
        """Office hours of a network (or the default ones); None means always open."""
        return self.hours.get(network or "", self.default_hours)

    def when(self, moment: datetime, now: datetime) -> str:
        """Say in words when `moment` is, seen from `now` (today, tomorrow, a weekday)."""
        zone = ZoneInfo(ZONE)
        local, today = moment.astimezone(zone), now.astimezone(zone).date()
        clock = f"{local.hour}.{local.minute:02d}"
        if local.date() == today:
            return self.p("today", time=clock)
        if local.date() == today + timedelta(days=1):
            return self.p("tomorrow", time=clock)
        return self.p("later", day=self.weekdays[local.weekday()], time=clock)


def load(content_dir: Path) -> tuple[CounsellorTexts | None, list[Problem]]:
    """Load and check `counsellor.yml`; office hours and names come from `networks.yml`."""
    path = content_dir / FILE
    display = relative(path, content_dir)
    doc, problems = load_checked(content_dir, path, "counsellor.schema.json")
    if doc is None or problems:
        return None, problems
    problems += text_problems(doc, display, {"counsellor": COUNSELLOR_TEXTS, "pupil": PUPIL_TEXTS})
    slots, _ = load_slots(content_dir)
    problems += _summary_problems(doc, display, set(slots))
    names, hours, default = _networks(content_dir)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return _model(doc.data, names, hours, default), problems


def _model(
    data: Mapping[str, Any],
    names: Mapping[str, str],
    hours: Mapping[str, OfficeHours],
    default: OfficeHours | None,
) -> CounsellorTexts:
    counsellor = {k: str(v) for k, v in data["counsellor"].items() if k != "categories"}
    return CounsellorTexts(
        roles=_strings(data["roles"]),
        kinds=_strings(data["kinds"]),
        consent=_strings(data["consent"]),
        outcomes=_strings(data["outcomes"]),
        summary=tuple(
            SummaryField(str(f["slot"]), str(f["label"]), f.get("when_shared"))
            for f in data["summary"]
        ),
        weekdays=tuple(str(d) for d in data["weekdays"]),
        counsellor=counsellor,
        categories=_strings(data["counsellor"].get("categories", {})),
        pupil=_strings(data["pupil"]),
        network_names=names,
        hours=hours,
        default_hours=default,
    )


def _strings(mapping: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping.items()}


def _summary_problems(doc: YamlDoc, display: str, slots: set[str]) -> list[Problem]:
    problems = []
    for index, entry in enumerate(doc.data["summary"]):
        for key in ("slot", "when_shared"):
            name = entry.get(key)
            if name and name not in slots:
                problems.append(
                    Problem(
                        display,
                        doc.lines.line(("summary", index, key)),
                        f"summary line names slot '{name}', which is not declared (yet)",
                        "declare it in a content/slots*.yml file, or remove the line",
                        severity="warning",
                    )
                )
    return problems


def _networks(
    content_dir: Path,
) -> tuple[dict[str, str], dict[str, OfficeHours], OfficeHours | None]:
    """Names and office hours from networks.yml, read by the catalog's parser.

    Its problems are the catalog's to report: here a broken file means no names and no hours.
    """
    networks, _ = load_networks(content_dir)
    if networks is None:
        return {}, {}, None
    names = {n.id: n.name for n in networks.by_id.values()}
    hours = {n.id: n.office_hours for n in networks.by_id.values()}
    return names, hours, networks.default_hours
