"""On-call overrides and pages (migration 0008)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from teams_bot.storage.schema import UTCDateTime, metadata

oncall_overrides = Table(
    "oncall_overrides",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("team", String(64), nullable=False),
    Column("person_name", Text, nullable=False),
    Column("person_aad", String(64), nullable=False),
    Column("person_teams_id", Text, nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("by_id", String(64), nullable=False),
    Column("by_name", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_oncall_overrides_team", "team", "ends_at"),
)

oncall_pages = Table(
    "oncall_pages",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("person_name", Text, nullable=False),
    Column("person_aad", String(64), nullable=False),
    Column("person_teams_id", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("by_id", String(64), nullable=False),
    Column("by_name", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("acked_by_id", String(64), nullable=False),
    Column("acked_by_name", Text, nullable=False),
    Column("acked_at", UTCDateTime(), nullable=True),
)
