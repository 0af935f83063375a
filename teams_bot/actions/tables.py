"""Tables for cards the bot posted and the actions behind their buttons (migration 0002)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text
from sqlalchemy.types import JSON

from teams_bot.storage.schema import UTCDateTime, metadata

cards = Table(
    "cards",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("data", JSON, nullable=False),  # what the card builder needs to draw it again
    Column("version", Integer, nullable=False),  # optimistic concurrency for in-place updates
    Column("tenant_id", String(64), nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("activity_id", Text, nullable=False),  # the Teams message id, once known
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

card_actions = Table(
    "card_actions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("card_id", String(64), nullable=False),
    Column("verb", String(64), nullable=False),
    Column("permission", String(128), nullable=False),
    Column("command", Text, nullable=False),  # for argument rules, e.g. "nodes reboot"
    Column("arguments", JSON, nullable=False),  # targets, fixed when the card was made
    Column("tenant_id", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("state", String(16), nullable=False),  # open | claimed | done | failed | superseded
    Column("claimed_by", String(64), nullable=False),
    Column("claimed_by_name", Text, nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("result", JSON, nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),  # renewed while its job runs
    Index("ix_card_actions_card_id", "card_id"),
)
