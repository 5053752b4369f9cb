"""Personal desk accounts: Argon2id passwords, a TOTP second factor and lockout.

Accounts are made by an admin on the command line (`wegwijs counsellor add|disable|reset`);
the TOTP secret is sealed with the bot's key and shown once, at `add` and `reset`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.catalog.networks import NETWORK_IDS
from bot.errors import WegwijsError
from bot.handoff.cases import aware
from bot.handoff.tables import DeskAccount, DeskSession
from bot.infra.crypto import Cipher
from bot.infra.sql import AuditEntry, Store, utcnow

log = logging.getLogger(__name__)

ROLES = ("counsellor", "coordinator", "admin")
ALL_NETWORKS = "*"
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 12
ISSUER = "Wegwijs"
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile


@functools.cache
def _dummy() -> str:
    """Verified when the login is unknown: a wrong login costs as much as a wrong password."""
    return _HASHER.hash("wegwijs-no-such-account")


class AccountError(WegwijsError):
    """An account cannot be made or changed as asked (the message says why)."""


class LoginRefused(WegwijsError):
    """A sign-in failed; `reason` is 'invalid', 'locked' or 'disabled'."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"sign-in refused: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What an admin hands to a counsellor once: the TOTP secret and its provisioning URI."""

    login: str
    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in counsellor as the desk sees them."""

    id: int
    login: str
    name: str
    role: str
    title: str
    networks: frozenset[str]

    @property
    def first_name(self) -> str:
        """What pupils and colleagues see of the name."""
        return self.name.split()[0]

    @property
    def ref(self) -> str:
        """The id in cases and the audit log."""
        return f"desk:{self.login}"

    @property
    def everywhere(self) -> bool:
        """True for admins and accounts of every network."""
        return self.role == "admin" or ALL_NETWORKS in self.networks

    def sees(self, network: str | None) -> bool:
        """True when a case of this network is in the account's scope."""
        return self.everywhere or (network is not None and network in self.networks)

    @property
    def reads_audit(self) -> bool:
        """Coordinators and admins read the audit log (of their scope)."""
        return self.role in ("coordinator", "admin")


def account_of(row: DeskAccount) -> Account:
    """The desk's view of an account row."""
    networks = frozenset(n for n in row.networks.split(",") if n)
    return Account(row.id, row.login, row.name, row.role, row.title, networks)


def check_networks(networks: Iterable[str]) -> str:
    """The stored form of a network scope; refuses unknown network ids."""
    chosen = sorted({n.strip() for n in networks if n.strip()})
    unknown = [n for n in chosen if n != ALL_NETWORKS and n not in NETWORK_IDS]
    if unknown or not chosen:
        raise AccountError(
            f"unknown network(s) {', '.join(unknown) or '(none given)'}; "
            f"use one or more of {', '.join(sorted(NETWORK_IDS))} or {ALL_NETWORKS}"
        )
    return ",".join(chosen)


def check_password(password: str) -> None:
    """Refuse passwords that are too short to resist guessing."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")


class Accounts:
    """Create, disable and reset accounts; sign in with password, TOTP code and lockout."""

    def __init__(
        self, store: Store, cipher: Cipher, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.clock = clock

    async def add(
        self,
        login: str,
        name: str,
        role: str,
        networks: Iterable[str],
        password: str,
        title: str = "default",
    ) -> Enrolment:
        """Make an account; returns the TOTP enrolment to show once."""
        if not _LOGIN.match(login):
            raise AccountError("a login is 2-64 lower-case letters, digits or . _ @ -")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if not name.strip():
            raise AccountError("a name is needed (the pupil sees the first name)")
        scope = check_networks(networks)
        check_password(password)
        digest = await asyncio.to_thread(_HASHER.hash, password)
        secret = pyotp.random_base32()
        try:
            async with self.store.transaction() as session:
                session.add(
                    DeskAccount(
                        login=login,
                        name=name.strip()[:64],
                        role=role,
                        title=title[:32],
                        networks=scope,
                        password_hash=digest,
                        totp_secret=self.cipher.encrypt(secret.encode()),
                        totp_last=0,
                        failures=0,
                        disabled=False,
                        created_at=self.clock(),
                    )
                )
                _audit(session, "admin", "account_add", f"login={login} role={role}", self.clock())
        except IntegrityError as exc:
            raise AccountError(f"an account '{login}' exists already") from exc
        return Enrolment(login, secret, _uri(login, secret))

    async def disable(self, login: str) -> None:
        """Disable an account and end its sessions."""
        async with self.store.transaction() as session:
            row = await _row(session, login)
            row.disabled = True
            await session.execute(delete(DeskSession).where(DeskSession.account_id == row.id))
            _audit(session, "admin", "account_disable", f"login={login}", self.clock())

    async def reset(self, login: str, password: str) -> Enrolment:
        """New password and TOTP secret, unlocked and enabled; ends its sessions."""
        check_password(password)
        digest = await asyncio.to_thread(_HASHER.hash, password)
        secret = pyotp.random_base32()
        async with self.store.transaction() as session:
            row = await _row(session, login)
            row.password_hash, row.totp_secret = digest, self.cipher.encrypt(secret.encode())
            row.totp_last, row.failures, row.locked_until, row.disabled = 0, 0, None, False
            await session.execute(delete(DeskSession).where(DeskSession.account_id == row.id))
            _audit(session, "admin", "account_reset", f"login={login}", self.clock())
        return Enrolment(login, secret, _uri(login, secret))

    async def authenticate(self, login: str, password: str, code: str) -> Account:
        """The account when password and TOTP code are right; LoginRefused otherwise."""
        async with self.store.transaction() as session:
            row = (
                await session.scalars(select(DeskAccount).where(DeskAccount.login == login))
            ).first()
        if row is None:
            await asyncio.to_thread(_verify, _dummy(), password)
            async with self.store.transaction() as session:
                _audit(session, "desk:unknown", "login_failed", None, self.clock())
            raise LoginRefused("invalid")
        now = self.clock()
        if row.disabled:
            raise LoginRefused("disabled")
        if row.locked_until is not None and aware(row.locked_until) > now:
            raise LoginRefused("locked")
        good_password = await asyncio.to_thread(_verify, row.password_hash, password)
        step = self._totp_step(row, code, now) if good_password else None
        refused: str | None = None
        async with self.store.transaction() as session:
            fresh = await session.get(DeskAccount, row.id)
            if fresh is None:
                raise LoginRefused("invalid")
            actor = f"desk:{login}"
            if step is None:
                fresh.failures += 1
                _audit(session, actor, "login_failed", f"failures={fresh.failures}", now)
                refused = "invalid"
                if fresh.failures >= MAX_FAILURES:
                    fresh.locked_until, fresh.failures, refused = now + LOCKOUT, 0, "locked"
                    _audit(session, actor, "locked", f"minutes={LOCKOUT.seconds // 60}", now)
                    log.warning("desk account locked after %d failed sign-ins", MAX_FAILURES)
            else:
                fresh.failures, fresh.locked_until, fresh.totp_last = 0, None, step
                if _HASHER.check_needs_rehash(fresh.password_hash):
                    fresh.password_hash = await asyncio.to_thread(_HASHER.hash, password)
                _audit(session, actor, "login", None, now)
            account = account_of(fresh)
        if refused is not None:  # raised after the commit: the failure must be counted
            raise LoginRefused(refused)
        return account

    async def get(self, account_id: int) -> Account | None:
        """An enabled account by id."""
        async with self.store.transaction() as session:
            row = await session.get(DeskAccount, account_id)
        return account_of(row) if row is not None and not row.disabled else None

    async def all(self) -> list[Account]:
        """Every enabled account (for transfer)."""
        async with self.store.transaction() as session:
            rows = (
                await session.scalars(
                    select(DeskAccount)
                    .where(DeskAccount.disabled.is_(False))
                    .order_by(DeskAccount.name)
                )
            ).all()
        return [account_of(row) for row in rows]

    def _totp_step(self, row: DeskAccount, code: str, now: datetime) -> int | None:
        """The time step of a valid, not yet used code (a code works once), else None."""
        totp = pyotp.TOTP(self.cipher.decrypt(row.totp_secret).decode())
        code = code.strip().replace(" ", "")
        for offset in (0, -1, 1):
            moment = now + timedelta(seconds=offset * totp.interval)
            if totp.at(moment) == code:
                step = int(moment.timestamp()) // totp.interval
                return step if step > row.totp_last else None
        return None


def _verify(digest: str, password: str) -> bool:
    try:
        return _HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def _uri(login: str, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=ISSUER)


async def _row(session: AsyncSession, login: str) -> DeskAccount:
    row = (await session.scalars(select(DeskAccount).where(DeskAccount.login == login))).first()
    if row is None:
        raise AccountError(f"no account '{login}'")
    return row


def _audit(
    session: AsyncSession, actor: str, action: str, detail: str | None, at: datetime
) -> None:
    session.add(
        AuditEntry(actor=actor[:64], action=action[:32], case_id=None, detail=detail, at=at)
    )
