"""Counsellor desk: personal accounts, desk sessions, notes and the desk's audit entries.

Revision ID: 0004_desk
Revises: 0003_web
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_desk"
down_revision = "0003_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
