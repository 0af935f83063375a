"""Alert tables (migration 0006): received notifications, alert groups, subscriptions."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text
from sqlalchemy.types import JSON

from teams_bot.storage.schema import UTCDateTime, metadata

# One row per distinct notification: a retried delivery has the same id and is ignored.
alert_notifications = Table(
    "alert_notifications",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256(source, groupKey, content)
    Column("source", String(64), nullable=False),
    Column("group_id", String(64), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Index("ix_alert_notifications_received_at", "received_at"),
)

# The latest state of each alert group (one card per group and subscribed conversation).
alert_groups = Table(
    "alert_groups",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256(source, groupKey)
    Column("source", String(64), nullable=False),
    Column("group_key", Text, nullable=False),
    Column("status", String(16), nullable=False),  # firing | resolved
    Column("severity", String(16), nullable=False),  # the most severe alert's
    Column("data", JSON, nullable=False),  # the merged notification (alerts by fingerprint)
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("acked_by", String(64), nullable=False),
    Column("acked_by_name", Text, nullable=False),
    Column("acked_at", UTCDateTime(), nullable=True),
    Column("silences", JSON, nullable=False),  # {fingerprint: silence id}
    Index("ix_alert_groups_status", "status"),
)

alert_subscriptions = Table(
    "alert_subscriptions",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("conversation_id", String(512), nullable=False),
    Column("source", String(64), nullable=False),  # "" = every source
    Column("min_severity", String(16), nullable=False),  # "" = every severity
    Column("labels", JSON, nullable=False),  # {name: value}, all must match
    Column("created_by", String(64), nullable=False),
    Column("created_by_name", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("state", String(16), nullable=False),  # active | disabled
    Column("disabled_reason", Text, nullable=False),
    Column("disabled_at", UTCDateTime(), nullable=True),
    Index("ix_alert_subscriptions_conversation", "conversation_id"),
    Index("ix_alert_subscriptions_tenant_state", "tenant_id", "state"),
)
