"""Table definitions shared by the storage modules and the migrations.

SQLAlchemy Core only. Types are chosen to behave the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import JSON, DateTime, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both engines (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetime must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("aad_object_id", String(64), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("team_id", Text, nullable=False),
    Column("channel_id", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("command", Text, nullable=False),
    Column("arguments", JSON, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("job_id", String(128), nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_aad_object_id", "aad_object_id"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("conversation_id", String(512), primary_key=True),
    Column("conversation_type", String(32), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("team_id", Text, nullable=False),
    Column("channel_id", Text, nullable=False),
    Column("service_url", Text, nullable=False),
    Column("reference", JSON, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_conversations_tenant_id", "tenant_id"),
    Index("ix_conversations_team_channel", "team_id", "channel_id"),
)

bot_state = Table(
    "bot_state",
    metadata,
    Column("key", String(1024), primary_key=True),
    Column("etag", String(64), nullable=False),
    Column("value", Text, nullable=False),  # JSON text written by state_codec
    Column("updated_at", UTCDateTime(), nullable=False),
)
