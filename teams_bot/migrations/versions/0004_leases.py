"""Leases on running work, so work interrupted by a restart is found and reported.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from teams_bot.storage.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("card_actions", "approvals"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    for table in ("card_actions", "approvals"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("lease_until")
