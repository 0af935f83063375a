"""The outbox (durable proactive delivery) and the alert tables.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from teams_bot.storage.schema import BigId, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PENDING_KEYED = sa.text("state = 'pending' AND coalesce_key <> ''")


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(512), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("coalesce_key", sa.String(255), nullable=False),
        sa.Column("origin", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("enqueued_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
    )
    op.create_index("ix_outbox_state_next_try", "outbox", ["state", "next_try_at"])
    op.create_index("ix_outbox_conversation_key", "outbox", ["conversation_id", "coalesce_key"])
    op.create_index(
        "ux_outbox_pending_key",
        "outbox",
        ["conversation_id", "coalesce_key"],
        unique=True,
        sqlite_where=_PENDING_KEYED,
        postgresql_where=_PENDING_KEYED,
    )


def _alerts() -> None:
    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_alert_notifications_received_at", "alert_notifications", ["received_at"])
    op.create_table(
        "alert_groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("group_key", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("acked_by", sa.String(64), nullable=False),
        sa.Column("acked_by_name", sa.Text, nullable=False),
        sa.Column("acked_at", UTCDateTime(), nullable=True),
        sa.Column("silences", sa.JSON, nullable=False),
    )
    op.create_index("ix_alert_groups_status", "alert_groups", ["status"])
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(512), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("min_severity", sa.String(16), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_by_name", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("disabled_reason", sa.Text, nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_alert_subscriptions_conversation", "alert_subscriptions", ["conversation_id"]
    )
    op.create_index(
        "ix_alert_subscriptions_tenant_state", "alert_subscriptions", ["tenant_id", "state"]
    )


def upgrade() -> None:
    _outbox()
    _alerts()


def downgrade() -> None:
    for table in ("alert_subscriptions", "alert_groups", "alert_notifications", "outbox"):
        op.drop_table(table)
