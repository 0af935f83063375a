"""Incidents and their timelines (migration 0010)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from teams_bot.storage.schema import UTCDateTime, metadata

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("commander_name", Text, nullable=False),
    Column("commander_id", String(64), nullable=False),
    Column("opened_by_id", String(64), nullable=False),
    Column("opened_by_name", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Index("ix_incidents_tenant_state", "tenant_id", "state"),
)

incident_events = Table(
    "incident_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(16), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("who_id", String(64), nullable=False),
    Column("who_name", Text, nullable=False),
    Column("what", Text, nullable=False),
    Index("ix_incident_events_incident", "incident_id", "seq"),
)
