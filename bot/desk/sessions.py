"""Desk sessions: a random cookie token, stored only as its SHA-256, with idle and age limits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from bot.desk.accounts import Account, account_of
from bot.handoff.cases import aware
from bot.handoff.tables import DeskAccount, DeskSession
from bot.infra.sql import Store, utcnow

IDLE = timedelta(minutes=30)
MAX_AGE = timedelta(hours=12)
# last_seen is written at most this often: a desk polling every second does not write every second.
TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A valid session: its account and its CSRF token."""

    account: Account
    csrf: str

    def csrf_ok(self, token: str | None) -> bool:
        """True when a request carries this session's CSRF token."""
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())


def digest(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Open, find (sliding idle timeout, absolute age limit) and close desk sessions."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime] = utcnow,
        idle: timedelta = IDLE,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        self.store = store
        self.clock = clock
        self.idle = idle
        self.max_age = max_age

    async def open(self, account: Account) -> tuple[str, SignedIn]:
        """A new session for a signed-in account: (cookie token, session)."""
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock()
        async with self.store.transaction() as session:
            # sessions nobody came back to are removed here (they hold a hash, nothing else)
            await session.execute(
                delete(DeskSession).where(DeskSession.last_seen < now - self.idle)
            )
            session.add(
                DeskSession(
                    token_hash=digest(token),
                    account_id=account.id,
                    csrf=csrf,
                    created_at=now,
                    last_seen=now,
                )
            )
        return token, SignedIn(account, csrf)

    async def find(self, token: str | None, touch: bool = True) -> SignedIn | None:
        """The session of a cookie token, if it is still valid; `touch` (a counsellor's own
        action, not the page refreshing itself) keeps it alive."""
        if not token or len(token) > 128:
            return None
        now = self.clock()
        async with self.store.transaction() as session:
            row = await session.get(DeskSession, digest(token))
            if row is None:
                return None
            account = await session.get(DeskAccount, row.account_id)
            expired = (
                aware(row.last_seen) + self.idle <= now
                or aware(row.created_at) + self.max_age <= now
            )
            if expired or account is None or account.disabled:
                await session.delete(row)
                return None
            if touch and now - aware(row.last_seen) >= TOUCH_EVERY:
                row.last_seen = now
            return SignedIn(account_of(account), row.csrf)

    async def close(self, token: str | None) -> None:
        """End a session (sign out)."""
        if token:
            async with self.store.transaction() as session:
                await session.execute(
                    delete(DeskSession).where(DeskSession.token_hash == digest(token))
                )
