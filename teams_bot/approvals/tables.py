"""Tables for four-eyes approvals and their votes (migration 0003)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import JSON

from teams_bot.storage.schema import BigId, UTCDateTime, metadata

approvals = Table(
    "approvals",
    metadata,
    Column("id", String(16), primary_key=True),  # upper case, e.g. "A7K3F2"
    Column("version", Integer, nullable=False),  # bumped by every change: the per-row lock
    Column("state", String(16), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("activity_id", Text, nullable=False),
    Column("requester_id", String(64), nullable=False),
    Column("requester_name", Text, nullable=False),
    Column("requester_teams_id", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("command", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("action_id", String(128), nullable=False),
    Column("arguments", JSON, nullable=False),
    Column("summary", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("where", JSON, nullable=False),
    Column("approver_roles", JSON, nullable=False),  # list of role names
    Column("quorum", Integer, nullable=False),
    Column("rule", String(64), nullable=False),
    Column("rule_description", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),  # renewed while approved work runs
    Column("result", JSON, nullable=True),
    Index("ix_approvals_state_expires_at", "state", "expires_at"),
    Index("ix_approvals_requester_id", "requester_id"),
)

approval_votes = Table(
    "approval_votes",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),  # keeps votes in order
    Column(
        "approval_id",
        String(16),
        ForeignKey("approvals.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("voter_id", String(64), nullable=False),
    Column("voter_name", Text, nullable=False),
    Column("decision", String(8), nullable=False),  # approve | deny
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    UniqueConstraint("approval_id", "voter_id", name="uq_approval_votes_voter"),
)
