"""Incidents and their timelines.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from teams_bot.storage.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(16), primary_key=True),  # short and typable: "K7M2QX"
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),  # 1 (worst) .. 4
        sa.Column("state", sa.String(16), nullable=False),  # open | mitigated | resolved
        sa.Column("commander_name", sa.Text, nullable=False),  # "" until assigned
        sa.Column("commander_id", sa.String(64), nullable=False),
        sa.Column("opened_by_id", sa.String(64), nullable=False),
        sa.Column("opened_by_name", sa.Text, nullable=False),
        sa.Column("conversation_id", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),  # the card's message; "" until posted
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_incidents_tenant_state", "incidents", ["tenant_id", "state"])
    op.create_table(
        "incident_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("who_id", sa.String(64), nullable=False),
        sa.Column("who_name", sa.Text, nullable=False),
        sa.Column("what", sa.Text, nullable=False),
    )
    op.create_index("ix_incident_events_incident", "incident_events", ["incident_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_incident_events_incident", table_name="incident_events")
    op.drop_table("incident_events")
    op.drop_index("ix_incidents_tenant_state", table_name="incidents")
    op.drop_table("incidents")
