"""Initial schema: pupils, processed updates, transcript, cases, outbox, audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pupils",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.LargeBinary(), nullable=True),
        sa.Column("network", sa.String(32), nullable=True),
        sa.Column("counsellor_id", sa.String(64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_pupils_updated_at", "pupils", ["updated_at"])
    op.create_table(
        "processed_updates",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_processed_updates_pupil_id", "processed_updates", ["pupil_id"])
    op.create_index("ix_processed_updates_created_at", "processed_updates", ["created_at"])
    op.create_table(
        "transcript",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_transcript_pupil_id", "transcript", ["pupil_id"])
    op.create_index("ix_transcript_created_at", "transcript", ["created_at"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("network", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("consent", sa.String(16), nullable=False),
        sa.Column("summary", sa.LargeBinary(), nullable=True),
        sa.Column("destination", sa.String(128), nullable=True),
        sa.Column("thread_ref", sa.String(64), nullable=True),
        sa.Column("counsellor_id", sa.String(64), nullable=True),
        sa.Column("counsellor_name", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("reminded_at", TZ, nullable=True),
    )
    op.create_index("ix_cases_pupil_id", "cases", ["pupil_id"])
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_index("ix_cases_closed_at", "cases", ["closed_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("destination", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("lease_until", TZ, nullable=True),
        sa.Column("dedupe_key", sa.String(160), nullable=False, unique=True),
        sa.Column("pupil_id", sa.String(64), nullable=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
    )
    op.create_index("ix_outbox_destination", "outbox", ["destination"])
    op.create_index("ix_outbox_status", "outbox", ["status"])
    op.create_index("ix_outbox_pupil_id", "outbox", ["pupil_id"])
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_case_id", "audit_log", ["case_id"])


def downgrade() -> None:
    for table in ("audit_log", "outbox", "cases", "transcript", "processed_updates", "pupils"):
        op.drop_table(table)
