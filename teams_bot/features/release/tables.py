"""Release history and change freezes (migration 0007)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from teams_bot.storage.schema import UTCDateTime, metadata

releases = Table(
    "releases",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("service", String(64), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("version", String(128), nullable=False),
    Column("previous", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_by_name", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("card_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Index("ix_releases_service_env", "tenant_id", "service", "environment", "started_at"),
)

freezes = Table(
    "freezes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("by_id", String(64), nullable=False),
    Column("by_name", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("until", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("ended_by", Text, nullable=False),
    Index("ix_freezes_tenant", "tenant_id", "ended_at"),
)
