"""Four-eyes approvals and their votes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from teams_bot.storage.schema import BigId, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        _text("conversation_id"),
        _text("activity_id"),
        sa.Column("requester_id", sa.String(64), nullable=False),
        _text("requester_name"),
        _text("requester_teams_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        _text("command"),
        _text("text"),
        sa.Column("action_id", sa.String(128), nullable=False),
        sa.Column("arguments", sa.JSON, nullable=False),
        _text("summary"),
        _text("reason"),
        sa.Column("where", sa.JSON, nullable=False),
        sa.Column("approver_roles", sa.JSON, nullable=False),
        sa.Column("quorum", sa.Integer, nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        _text("rule_description"),
        _when("created_at"),
        _when("expires_at"),
        _when("decided_at", nullable=True),
        _when("updated_at", nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
    )
    op.create_index("ix_approvals_state_expires_at", "approvals", ["state", "expires_at"])
    op.create_index("ix_approvals_requester_id", "approvals", ["requester_id"])
    op.create_table(
        "approval_votes",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "approval_id",
            sa.String(16),
            sa.ForeignKey("approvals.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("voter_id", sa.String(64), nullable=False),
        _text("voter_name"),
        sa.Column("decision", sa.String(8), nullable=False),
        _text("reason"),
        _when("at"),
        sa.UniqueConstraint("approval_id", "voter_id", name="uq_approval_votes_voter"),
    )


def downgrade() -> None:
    op.drop_table("approval_votes")
    op.drop_index("ix_approvals_requester_id", table_name="approvals")
    op.drop_index("ix_approvals_state_expires_at", table_name="approvals")
    op.drop_table("approvals")
