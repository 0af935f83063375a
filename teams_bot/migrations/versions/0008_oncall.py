"""On-call overrides and pages.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from teams_bot.storage.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("person_name", sa.Text, nullable=False),
        sa.Column("person_aad", sa.String(64), nullable=False),
        sa.Column("person_teams_id", sa.Text, nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.String(64), nullable=False),
        sa.Column("by_name", sa.Text, nullable=False),
        sa.Column("conversation_id", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_oncall_overrides_team", "oncall_overrides", ["team", "ends_at"])
    op.create_table(
        "oncall_pages",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("person_name", sa.Text, nullable=False),
        sa.Column("person_aad", sa.String(64), nullable=False),
        sa.Column("person_teams_id", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("by_id", sa.String(64), nullable=False),
        sa.Column("by_name", sa.Text, nullable=False),
        sa.Column("conversation_id", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),  # "" until posted
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("acked_by_id", sa.String(64), nullable=False),  # "" until acknowledged
        sa.Column("acked_by_name", sa.Text, nullable=False),
        sa.Column("acked_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("oncall_pages")
    op.drop_index("ix_oncall_overrides_team", table_name="oncall_overrides")
    op.drop_table("oncall_overrides")
