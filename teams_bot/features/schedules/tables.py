"""Claimed schedule ticks (migration 0009): one row per schedule and tick, so a tick runs once
across replicas."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from teams_bot.storage.schema import UTCDateTime, metadata

schedule_runs = Table(
    "schedule_runs",
    metadata,
    Column("schedule", String(64), primary_key=True),
    Column("tick_at", UTCDateTime(), primary_key=True),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("outcome", String(16), nullable=False),  # running | ok | error | approval
    Column("detail", Text, nullable=False),
    Column("correlation_id", String(64), nullable=False),
)
