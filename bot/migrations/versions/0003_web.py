"""Web chat: pupil sessions (keyed hash of the browser's token) and what each session has seen.

Revision ID: 0003_web
Revises: 0002_handoff
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_web"
down_revision = "0002_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_sessions_pupil_id", "web_sessions", ["pupil_id"])
    op.create_index("ix_web_sessions_last_seen_at", "web_sessions", ["last_seen_at"])
    op.create_table(
        "web_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("ref", sa.String(160), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_messages_pupil_id", "web_messages", ["pupil_id"])
    op.create_index("ix_web_messages_created_at", "web_messages", ["created_at"])


def downgrade() -> None:
    op.drop_table("web_messages")
    op.drop_table("web_sessions")
