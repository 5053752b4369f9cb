"""Web chat sessions: a random token lives in the browser; the server keeps a keyed hash.

The hash is an HMAC with the secret key (`Cipher.pseudonym`), so a stolen database does not
give the tokens, and the token itself never appears in a URL, a log line or the database.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from bot.infra.crypto import Cipher
from bot.infra.sql import Store, WebSession, utcnow

CHANNEL = "web"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class Session:
    """A pupil's web session: the keyed hash of their token and their pseudonym."""

    token_hash: str
    pupil_id: str


class Sessions:
    """Creates, finds and checks sessions."""

    def __init__(self, store: Store, cipher: Cipher) -> None:
        self.store = store
        self.cipher = cipher

    def _session(self, token: str) -> Session:
        token_hash = self.cipher.pseudonym("web-session", token)
        # the service derives the pupil's pseudonym from (channel, user_ref) the same way
        return Session(token_hash, self.cipher.pseudonym(CHANNEL, token_hash))

    async def create(self) -> tuple[str, Session]:
        """A new random token (for the browser only) and its session."""
        token = secrets.token_urlsafe(32)
        session = self._session(token)
        async with self.store.transaction() as db:
            db.add(WebSession(token_hash=session.token_hash, pupil_id=session.pupil_id))
        return token, session

    async def resume(self, token: object) -> Session | None:
        """The session of this token, or None (malformed, unknown, erased or purged)."""
        if not isinstance(token, str) or not TOKEN.fullmatch(token):
            return None
        session = self._session(token)
        async with self.store.transaction() as db:
            result = await db.execute(
                update(WebSession)
                .where(WebSession.token_hash == session.token_hash)
                .values(last_seen_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        return session if getattr(result, "rowcount", 0) else None

    async def exists(self, session: Session) -> bool:
        """False once the pupil erased their data (`/vergeet`) or retention removed it."""
        async with self.store.sessions() as db:
            found = await db.scalar(
                select(WebSession.token_hash).where(WebSession.token_hash == session.token_hash)
            )
        return found is not None
