"""Cards the bot posted and the signed, single-use actions behind their buttons.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from teams_bot.storage.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cards",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        _text("conversation_id"),
        _text("activity_id"),
        _when("created_at"),
        _when("updated_at"),
    )
    op.create_table(
        "card_actions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("card_id", sa.String(64), nullable=False),
        sa.Column("verb", sa.String(64), nullable=False),
        sa.Column("permission", sa.String(128), nullable=False),
        _text("command"),
        sa.Column("arguments", sa.JSON, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        _text("claimed_by_name"),
        _when("claimed_at", nullable=True),
        _when("finished_at", nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
    )
    op.create_index("ix_card_actions_card_id", "card_actions", ["card_id"])


def downgrade() -> None:
    op.drop_index("ix_card_actions_card_id", table_name="card_actions")
    op.drop_table("card_actions")
    op.drop_table("cards")
