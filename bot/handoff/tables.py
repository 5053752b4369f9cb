"""Tables of the handoff service that are not in the initial schema (migration 0002_handoff)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.infra.sql import Base, utcnow


class CaseMessage(Base):
    """A message the bot posted in a counsellor chat about a case, so replies find the case."""

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_chat_message", "chat", "message_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
