"""The outbox table (migration 0006): every proactive message the bot owes a conversation."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, text
from sqlalchemy.types import JSON

from teams_bot.storage.schema import BigId, UTCDateTime, metadata

PENDING_KEYED = text("state = 'pending' AND coalesce_key <> ''")

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("conversation_id", String(512), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # post | update
    Column("coalesce_key", String(255), nullable=False),  # "" = never coalesced
    Column("origin", String(128), nullable=False),  # e.g. "alerts-subscription:K3F2A9"
    Column("payload", JSON, nullable=False),
    Column("message_id", Text, nullable=False),  # the Teams message id, once posted
    Column("attempts", Integer, nullable=False),
    Column("next_try_at", UTCDateTime(), nullable=False),
    Column("state", String(16), nullable=False),  # pending|sending|sent|failed|disabled|superseded
    Column("enqueued_at", UTCDateTime(), nullable=False),  # first enqueued (age limit)
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=True),  # while sending
    Column("claimed_by", String(64), nullable=False),
    Column("last_error", Text, nullable=False),
    Index("ix_outbox_state_next_try", "state", "next_try_at"),
    Index("ix_outbox_conversation_key", "conversation_id", "coalesce_key"),
    # At most one pending row per message: later updates overwrite its payload.
    Index(
        "ux_outbox_pending_key",
        "conversation_id",
        "coalesce_key",
        unique=True,
        sqlite_where=PENDING_KEYED,
        postgresql_where=PENDING_KEYED,
    ),
)
