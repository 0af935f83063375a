"""One running job per target (job_locks) and recently seen activity ids (seen_activities).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from teams_bot.storage.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_locks",
        sa.Column("target", sa.String(255), primary_key=True),  # e.g. "node:web-07"
        sa.Column("holder", sa.String(64), nullable=False),  # the action or run holding it
        sa.Column("holder_name", sa.Text, nullable=False),  # who started it, for "already ..."
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "seen_activities",
        sa.Column("key", sa.String(255), primary_key=True),  # channel + conversation + id
        sa.Column("seen_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_seen_activities_seen_at", "seen_activities", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_activities_seen_at", table_name="seen_activities")
    op.drop_table("seen_activities")
    op.drop_table("job_locks")
