"""Check-ins the pupil asked for, and the anonymous events behind the networks' figures.

Revision ID: 0005_checkins
Revises: 0004_desk
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_checkins"
down_revision = "0004_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("about", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_checkins_pupil_id", "checkins", ["pupil_id"])
    op.create_index("ix_checkins_status", "checkins", ["status"])
    op.create_index("ix_checkins_due_at", "checkins", ["due_at"])
    # no pupil id, no text, no time finer than a day: see docs/privacy.md
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
    )
    op.create_index("ix_events_day", "events", ["day"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("checkins")
