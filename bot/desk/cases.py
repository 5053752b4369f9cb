"""What the desk reads and does with cases, always within the account's network scope.

Claim, reply and close go through the handoff's CounsellorDesk (the same code as the Telegram
group, so a claim on one side shows on the other); notes and transfers are the desk's own.
Everything sent goes through the outbox in the transaction of the change.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.desk.accounts import Account, Accounts
from bot.flows.actions import Message
from bot.flows.state import State
from bot.handoff.cases import CLOSABLE, OPEN_STATUSES, TRANSCRIPT_LINES, aware
from bot.handoff.desk import DeskActor
from bot.handoff.desk_texts import DeskTexts
from bot.handoff.tables import DeskNote
from bot.infra.sql import AuditEntry, Case, Pupil, TranscriptLine

log = logging.getLogger(__name__)

QUEUE_STATUSES = (*OPEN_STATUSES, "ended")
DONE_STATUSES = ("closed", "cancelled")
MAX_NOTE = 2000
MAX_REPLY = 3500
# Audit actions that only read: they do not wake the desks (a read would wake itself).
READS = ("read", "login", "login_failed", "locked", "audit_read")


class DeskRefused(Exception):
    """The account may not do this to this case; `reason` is a ui text key."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True, slots=True)
class Row:
    """A case in a list: what the queue and the history show."""

    id: int
    network: str | None
    network_name: str
    kind: str
    urgent: bool
    status: str
    waiting_minutes: int
    counsellor: str | None
    mine: bool
    promise: str
    outcome: str | None

    def to_json(self) -> dict[str, Any]:
        """The row for the page."""
        return {
            "id": self.id,
            "network": self.network,
            "network_name": self.network_name,
            "kind": self.kind,
            "urgent": self.urgent,
            "status": self.status,
            "waiting_minutes": self.waiting_minutes,
            "counsellor": self.counsellor,
            "mine": self.mine,
            "promise": self.promise,
            "outcome": self.outcome,
        }


class DeskCases:
    """The queue, a case, history and audit for one account; claim, reply, note, close,
    transfer."""

    def __init__(self, app: App, accounts: Accounts) -> None:
        self.app = app
        self.accounts = accounts

    @property
    def texts(self) -> DeskTexts:
        """content/desk.yml as the app serves it now (a content reload brings new texts)."""
        return self.app.handoff.texts.desk

    @property
    def now(self) -> datetime:
        """The handoff's clock (tests set it)."""
        return self.app.handoff.clock()

    async def version(self) -> str:
        """Changes when any case, case message or pupil line changes (for live updates)."""
        async with self.app.store.transaction() as session:
            audit = await session.scalar(
                select(func.max(AuditEntry.id)).where(
                    AuditEntry.case_id.is_not(None), AuditEntry.action.not_in(READS)
                )
            )
            lines = await session.scalar(select(func.max(TranscriptLine.id)))
            cases = await session.scalar(select(func.max(Case.id)))
        return f"{cases or 0}.{audit or 0}.{lines or 0}"

    async def queue(self, account: Account) -> list[Row]:
        """Open cases in scope: urgent first, then the longest waiting."""
        async with self.app.store.transaction() as session:
            cases = (
                await session.scalars(
                    select(Case)
                    .where(Case.status.in_(QUEUE_STATUSES), _scope(account))
                    .order_by((Case.priority == "urgent").desc(), Case.created_at, Case.id)
                )
            ).all()
        return [self._row(case, account) for case in cases]

    async def history(self, account: Account) -> list[Row]:
        """Closed cases in scope within the retention period, newest first."""
        since = self.now - timedelta(days=self.app.settings.retention_days)
        async with self.app.store.transaction() as session:
            cases = (
                await session.scalars(
                    select(Case)
                    .where(Case.status.in_(DONE_STATUSES), Case.closed_at >= since, _scope(account))
                    .order_by(Case.closed_at.desc())
                    .limit(200)
                )
            ).all()
        return [self._row(case, account) for case in cases]

    async def detail(self, account: Account, case_id: int) -> dict[str, Any]:
        """Everything the account may read of a case; the read is audited."""
        cipher, texts = self.app.cipher, self.app.handoff.texts
        async with self.app.store.transaction() as session:
            case = await self._case(session, account, case_id)
            sealed = cipher.open(case.summary) if case.summary else {}
            upto = int(sealed.get("transcript_upto") or 0)
            shared = await self._lines(session, case, upto) if case.consent == "full" else None
            live = await self._live(session, case, upto)
            notes = (
                await session.scalars(
                    select(DeskNote).where(DeskNote.case_id == case.id).order_by(DeskNote.id)
                )
            ).all()
            feedback = await self._feedback(session, case)
            session.add(AuditEntry(actor=account.ref, action="read", case_id=case.id, at=self.now))
        return {
            **self._row(case, account).to_json(),
            "consent": texts.consent.get(case.consent, case.consent),
            "summary": [list(line) for line in sealed.get("lines") or []],
            "transcript": shared,
            "live": live,
            "notes": [
                {
                    "author": n.author,
                    "text": cipher.decrypt(n.body).decode(),
                    "at": _iso(n.created_at),
                }
                for n in notes
            ],
            "feedback": feedback,
            "outcomes": dict(texts.outcomes),
        }

    async def claim(self, account: Account, case_id: int) -> None:
        """Take the case (one counsellor at a time)."""
        case = await self._peek(account, case_id)
        if case.status == "claimed" and case.counsellor_id != account.ref:
            raise DeskRefused("taken", name=case.counsellor_name)
        if case.status != "pending":
            raise DeskRefused("not_allowed")
        await self.app.handoff.desk.act_for(case_id, _actor(account), "claim")
        if (await self._peek(account, case_id)).counsellor_id != account.ref:
            raise DeskRefused("taken", name=(await self._peek(account, case_id)).counsellor_name)

    async def reply(self, account: Account, case_id: int, text: str) -> None:
        """Send a message to the pupil of the case the account has claimed."""
        case = await self._peek(account, case_id)
        text = text.strip()[:MAX_REPLY]
        if case.status != "claimed" or case.counsellor_id != account.ref or not text:
            raise DeskRefused("not_allowed")
        await self.app.handoff.desk.act_for(case_id, _actor(account), "reply", text)

    async def close(self, account: Account, case_id: int, outcome: str) -> None:
        """Close with an outcome; the pupil then gets the feedback question."""
        case = await self._peek(account, case_id)
        mine = case.counsellor_id in (None, account.ref) or account.reads_audit
        if case.status not in CLOSABLE or not mine:
            raise DeskRefused("not_allowed")
        if outcome not in self.app.handoff.texts.outcomes:
            raise DeskRefused("not_allowed")
        await self.app.handoff.desk.act_for(case_id, _actor(account), "close", outcome)

    async def note(self, account: Account, case_id: int, text: str) -> None:
        """An internal note (encrypted); the pupil never sees it."""
        text = text.strip()[:MAX_NOTE]
        if not text:
            raise DeskRefused("not_allowed")
        async with self.app.store.transaction() as session:
            case = await self._case(session, account, case_id)
            session.add(
                DeskNote(
                    case_id=case.id,
                    author=account.name,
                    body=self.app.cipher.encrypt(text.encode()),
                    created_at=self.now,
                )
            )
            session.add(AuditEntry(actor=account.ref, action="note", case_id=case.id, at=self.now))

    async def transfer(
        self, account: Account, case_id: int, network: str | None, login: str | None
    ) -> None:
        """Hand the case to another counsellor (who keeps the talk) or network (back to its
        queue)."""
        handoff = self.app.handoff
        case = await self._peek(account, case_id)
        mine = case.counsellor_id in (None, account.ref) or account.reads_audit
        if case.status not in OPEN_STATUSES or not mine:
            raise DeskRefused("not_allowed")
        target: Account | None = None
        if login:
            target = next((a for a in await self.accounts.all() if a.login == login), None)
            if target is None or not target.sees(case.network) or case.status != "claimed":
                raise DeskRefused("not_allowed")
        elif network not in handoff.texts.network_names:
            raise DeskRefused("not_allowed")
        key = f"case:{case_id}:transfer:{uuid.uuid4().hex[:12]}"
        async with self.app.store.pupil_transaction(case.pupil_id) as session:
            fresh = await session.get(Case, case_id)
            pupil = await session.get(Pupil, case.pupil_id)
            if fresh is None or fresh.status not in OPEN_STATUSES:
                raise DeskRefused("not_allowed")
            if target is not None:
                await self._to_person(session, fresh, pupil, target, key)
            else:
                await self._to_network(session, fresh, pupil, str(network), key)
            handoff.outbox.audit(
                session,
                account.ref,
                "transfer",
                fresh.id,
                f"to={target.ref}" if target else f"network={network}",
            )
        handoff.on_commit()
        log.info("case %s transferred", case_id)

    async def audit_log(self, account: Account) -> list[dict[str, Any]]:
        """The last audit lines of cases in scope (coordinators and admins only)."""
        if not account.reads_audit:
            raise DeskRefused("not_allowed")
        async with self.app.store.transaction() as session:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)
            if not account.everywhere:
                in_scope = select(Case.id).where(_scope(account))
                query = query.where(AuditEntry.case_id.in_(in_scope))
            rows = (await session.scalars(query)).all()
            session.add(AuditEntry(actor=account.ref, action="audit_read", at=self.now))
        return [
            {
                "at": _iso(r.at),
                "actor": r.actor,
                "action": r.action,
                "case": r.case_id,
                "detail": r.detail,
            }
            for r in rows
        ]

    async def colleagues(self, account: Account) -> list[dict[str, str]]:
        """Accounts a case can be handed to (other accounts sharing a network with this one)."""
        found = []
        for other in await self.accounts.all():
            shared = other.everywhere or account.everywhere or other.networks & account.networks
            if other.id != account.id and shared:
                found.append({"login": other.login, "name": other.name})
        return found

    async def _to_person(
        self, session: AsyncSession, case: Case, pupil: Pupil | None, target: Account, key: str
    ) -> None:
        handoff = self.app.handoff
        case.counsellor_id, case.counsellor_name = target.ref, target.first_name
        handoff.outbox.to_thread(
            session, case, self.texts.c("transferred", case=case.id, target=target.first_name), key
        )
        if pupil is not None:
            pupil.counsellor_id = target.ref
            message = Message(self.texts.p("transferred_person", name=target.first_name))
            handoff.outbox.to_pupil(session, pupil, [message], f"{key}:pupil")

    async def _to_network(
        self, session: AsyncSession, case: Case, pupil: Pupil | None, network: str, key: str
    ) -> None:
        handoff = self.app.handoff
        name = handoff.texts.network(network)
        handoff.outbox.to_thread(
            session, case, self.texts.c("transferred", case=case.id, target=name), key
        )
        was_claimed = case.status == "claimed"
        case.network, case.status = network, "pending"
        case.counsellor_id = case.counsellor_name = case.claimed_at = None
        case.destination, case.thread_ref = handoff.routing.destination(network), None
        if case.destination:
            lines = handoff.cipher.open(case.summary).get("lines", []) if case.summary else []
            handoff.outbox.notify_case(
                session, case, [tuple(line) for line in lines], None, f"{key}:opened"
            )
        if pupil is not None:
            pupil.counsellor_id = None
            if was_claimed:
                message = Message(self.texts.p("transferred_network"))
                handoff.outbox.to_pupil(session, pupil, [message], f"{key}:pupil")

    async def _peek(self, account: Account, case_id: int) -> Case:
        async with self.app.store.transaction() as session:
            return await self._case(session, account, case_id)

    async def _case(self, session: AsyncSession, account: Account, case_id: int) -> Case:
        """The case when it exists and is in scope; a case out of scope does not exist."""
        case = await session.get(Case, case_id)
        if case is None or not account.sees(case.network):
            raise DeskRefused("not_found")
        return case

    async def _lines(self, session: AsyncSession, case: Case, upto: int) -> list[dict[str, str]]:
        """What was said with the bot up to the request (shared with full consent only)."""
        rows = (
            await session.scalars(
                select(TranscriptLine)
                .where(TranscriptLine.pupil_id == case.pupil_id, TranscriptLine.id <= upto)
                .order_by(TranscriptLine.id.desc())
                .limit(TRANSCRIPT_LINES)
            )
        ).all()
        return [self._line(row) for row in reversed(rows)]

    async def _live(self, session: AsyncSession, case: Case, upto: int) -> list[dict[str, str]]:
        """The talk with the counsellor: from the claim to the close."""
        if case.claimed_at is None:
            return []
        query = select(TranscriptLine).where(
            TranscriptLine.pupil_id == case.pupil_id,
            TranscriptLine.id > upto,
            TranscriptLine.created_at >= case.claimed_at,
        )
        if case.closed_at is not None:
            query = query.where(TranscriptLine.created_at <= case.closed_at)
        rows = (await session.scalars(query.order_by(TranscriptLine.id))).all()
        return [self._line(row) for row in rows]

    def _line(self, row: TranscriptLine) -> dict[str, str]:
        text = self.app.cipher.decrypt(row.body).decode()
        return {"id": str(row.id), "author": row.author, "text": text, "at": _iso(row.created_at)}

    async def _feedback(self, session: AsyncSession, case: Case) -> str | None:
        """The pupil's one-tap feedback after this case, when it is the pupil's latest."""
        if case.status != "closed":
            return None
        latest = await session.scalar(
            select(func.max(Case.id)).where(Case.pupil_id == case.pupil_id)
        )
        pupil = await session.get(Pupil, case.pupil_id)
        if latest != case.id or pupil is None or not pupil.state:
            return None
        value = State.from_json(self.app.cipher.open(pupil.state)).slots.get("handoff_feedback")
        return str(value) if value in ("good", "okay", "bad") else None

    def _row(self, case: Case, account: Account) -> Row:
        texts, now = self.app.handoff.texts, self.now
        end = aware(case.claimed_at or case.closed_at or now)
        waited = max(0, int((end - aware(case.created_at)).total_seconds() // 60))
        return Row(
            id=case.id,
            network=case.network,
            network_name=texts.network(case.network),
            kind=texts.kinds.get(case.kind, case.kind),
            urgent=case.priority == "urgent",
            status=case.status,
            waiting_minutes=waited,
            counsellor=case.counsellor_name,
            mine=case.counsellor_id == account.ref,
            promise=self._promise(case, now) if case.status == "pending" else "",
            outcome=texts.outcomes.get(case.outcome or "", case.outcome),
        )

    def _promise(self, case: Case, now: datetime) -> str:
        """What the pupil was promised: an answer within the claim time, or after hours."""
        texts, ui = self.app.handoff.texts, self.texts.ui
        hours = texts.hours_for(case.network)
        if hours is None or hours.is_open(now):
            minutes = int(self.app.handoff.routing.claim_timeout.total_seconds() // 60)
            return ui["open_promise"].format(minutes=minutes)
        opens = hours.next_open(now)
        later = f" · {texts.when(opens, now)}" if opens else ""
        return ui["closed_promise"] + later


def _scope(account: Account) -> ColumnElement[bool]:
    if account.everywhere:
        return Case.id.is_not(None)
    return Case.network.in_(sorted(account.networks))


def _actor(account: Account) -> DeskActor:
    return DeskActor(account.ref, account.first_name, account.title)


def _iso(moment: datetime | None) -> str:
    return aware(moment).isoformat() if moment else ""
