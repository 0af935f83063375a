"""One way to describe what someone did, for every audit record the bot writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from teams_bot.identity import Caller, Where
from teams_bot.storage.audit import AuditRecord


def audit_record(
    kind: str,
    who: Caller,
    where: Where,
    *,
    command: str,
    arguments: Mapping[str, object],
    outcome: str,
    detail: str,
    correlation_id: str,
    duration_ms: float = 0.0,
    job_id: str = "",
) -> AuditRecord:
    """An audit record for `who` doing `command` in `where`, stamped now (UTC)."""
    return AuditRecord(
        at=datetime.now(UTC),
        correlation_id=correlation_id,
        kind=kind,
        tenant_id=who.tenant_id or where.tenant_id,
        aad_object_id=who.aad_object_id,
        display_name=who.display_name,
        team_id=where.team_id,
        channel_id=where.channel_id,
        conversation_id=where.conversation_id,
        command=command[:200],
        arguments=dict(arguments),
        outcome=outcome,
        detail=detail[:500],
        duration_ms=round(duration_ms, 3),
        job_id=job_id,
    )
