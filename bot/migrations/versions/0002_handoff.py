"""Handoff: messages posted about a case in counsellor chats (replies find their case).

Revision ID: 0002_handoff
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_handoff"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("chat", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(32), nullable=False),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_messages_chat_message", "case_messages", ["chat", "message_id"])
    op.create_index("ix_case_messages_case_id", "case_messages", ["case_id"])


def downgrade() -> None:
    op.drop_table("case_messages")
