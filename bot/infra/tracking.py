"""Tables of the check-ins a pupil asked for and of the anonymous events behind the figures."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.infra.sql import Base, utcnow


class Checkin(Base):
    """One check-in a pupil asked for: when it is due and what became of it.

    Purged with the pupil (retention, /vergeet). `outbox_id` is the outbox entry that delivers
    it (channels with an outbox); without one it is shown at the pupil's next visit.
    """

    __tablename__ = "checkins"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pupil_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    about: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Event(Base):
    """One anonymous fact for the networks' figures: no pupil id, no text, only a day."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    network: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[int | None] = mapped_column(Integer)
