"""Release history (deploys and rollbacks) and change freezes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from teams_bot.storage.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.String(64), primary_key=True),  # the job's action id
        sa.Column("kind", sa.String(16), nullable=False),  # deploy | rollback
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("previous", sa.String(128), nullable=False),  # what ran before ("" unknown)
        sa.Column("state", sa.String(16), nullable=False),  # running | succeeded | failed | ...
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_by_name", sa.Text, nullable=False),
        sa.Column("conversation_id", sa.Text, nullable=False),
        sa.Column("card_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_releases_service_env", "releases", ["tenant_id", "service", "environment", "started_at"]
    )
    op.create_table(
        "freezes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),  # "*": every environment
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by_id", sa.String(64), nullable=False),
        sa.Column("by_name", sa.Text, nullable=False),
        sa.Column("conversation_id", sa.Text, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=True),  # None: until `freeze off`
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.Text, nullable=False),
    )
    op.create_index("ix_freezes_tenant", "freezes", ["tenant_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_freezes_tenant", table_name="freezes")
    op.drop_table("freezes")
    op.drop_index("ix_releases_service_env", table_name="releases")
    op.drop_table("releases")
