"""The append-only audit log: who ran what, where, and how it ended.

There is deliberately no update or delete here, and the database refuses both (triggers
installed by the initial migration).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, or_, select
from sqlalchemy.engine import RowMapping

from teams_bot.metrics import AUDITED, command_label
from teams_bot.storage.db import Database
from teams_bot.storage.redact import redact
from teams_bot.storage.schema import audit_log

KINDS = ("command", "action", "approval", "alert", "system")
MAX_QUERY_ROWS = 1000


@dataclass(frozen=True)
class AuditRecord:
    """One audited event. `at` must be timezone-aware; it is stored in UTC."""

    at: datetime
    correlation_id: str
    kind: str  # one of KINDS
    tenant_id: str
    aad_object_id: str
    display_name: str
    team_id: str
    channel_id: str
    conversation_id: str
    command: str
    arguments: dict[str, object]
    outcome: str  # "ok" | "denied" | "error" | "usage" | "refused" | ...
    detail: str
    duration_ms: float
    job_id: str = ""
    id: int | None = field(default=None, compare=False)


# Lone surrogates cannot be encoded as UTF-8 (both engines refuse the row) and PostgreSQL text
# holds no NUL: each becomes U+FFFD, so a hostile text is still audited, not lost.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` as both databases can store it."""
    return _UNSTORABLE.sub("\ufffd", text)


def _jsonable(value: object) -> object:
    """Values as JSON can hold them; anything exotic becomes its str()."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, Mapping):
        return {storable(str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return storable(str(value))


_COLUMNS = [f.name for f in fields(AuditRecord) if f.name != "id"]


def _row_values(record: AuditRecord) -> dict[str, Any]:
    if record.at.tzinfo is None:
        raise ValueError("AuditRecord.at must be timezone-aware")
    values = {name: getattr(record, name) for name in _COLUMNS}
    values.update({k: storable(v) for k, v in values.items() if isinstance(v, str)})
    values["arguments"] = _jsonable(redact(record.arguments))
    return values


def _record(row: RowMapping) -> AuditRecord:
    return AuditRecord(**dict(row))


class AuditLog:
    """Append and query audit records (SQLAlchemy Core; statements are compiled once)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._insert = insert(audit_log)

    async def append(self, record: AuditRecord) -> None:
        """Store `record`, with secret-looking arguments redacted; returns once committed.
        On SQLite concurrent appends share a commit (group commit)."""
        values = _row_values(record)
        AUDITED.labels(record.kind, command_label(record.command), record.outcome[:20]).inc()
        writer = self._db.group_writer()
        if writer is not None:
            await writer.insert(self._insert, values)
            return
        async with self._db.engine.begin() as conn:
            await conn.execute(self._insert, values)

    async def query(
        self, *, user: str | None = None, last: int = 20, kind: str | None = None
    ) -> list[AuditRecord]:
        """Newest first. `user` matches an AAD object id exactly or a display name
        case-insensitively as a substring."""
        stmt = _query(user, max(0, min(last, MAX_QUERY_ROWS)), kind)
        async with self._db.engine.connect() as conn:
            result = await conn.execute(stmt)
            return [_record(row) for row in result.mappings()]

    async def done_since(self, aad_object_id: str, since: datetime) -> list[AuditRecord]:
        """What this person ran (outcome ok) since `since`, newest first."""
        stmt = (
            select(audit_log)
            .where(
                audit_log.c.aad_object_id == aad_object_id,
                audit_log.c.outcome == "ok",
                audit_log.c.at >= since,
            )
            .order_by(audit_log.c.at.desc())
            .limit(MAX_QUERY_ROWS)
        )
        async with self._db.engine.connect() as conn:
            result = await conn.execute(stmt)
            return [_record(row) for row in result.mappings()]


def _query(user: str | None, last: int, kind: str | None) -> Select[Any]:
    stmt = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(last)
    if kind is not None:
        stmt = stmt.where(audit_log.c.kind == kind)
    if user:
        name_match = audit_log.c.display_name.icontains(user, autoescape=True)
        stmt = stmt.where(or_(audit_log.c.aad_object_id == user, name_match))
    return stmt
