"""Check-ins the pupil asked for, and the anonymous events behind the networks' figures.

Revision ID: 0005_checkins
Revises: 0004_desk
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_checkins"
down_revision = "0004_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
