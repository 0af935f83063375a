"""Tables of the card-job core and turn de-duplication (migration 0005)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from teams_bot.storage.schema import UTCDateTime, metadata

job_locks = Table(
    "job_locks",
    metadata,
    Column("target", String(255), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("holder_name", Text, nullable=False),
    Column("since", UTCDateTime(), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=False),
)

seen_activities = Table(
    "seen_activities",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("seen_at", UTCDateTime(), nullable=False),
    Index("ix_seen_activities_seen_at", "seen_at"),
)
