"""AuditLog: append, query, filters, ordering, redaction, append-only (both engines)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from teams_bot.storage.audit import AuditLog, AuditRecord
from teams_bot.storage.db import Database
from teams_bot.storage.redact import REDACTED

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def record(n: int = 0, **changes: object) -> AuditRecord:
    base = AuditRecord(
        at=T0 + timedelta(seconds=n),
        correlation_id=f"corr-{n}",
        kind="command",
        tenant_id="tenant-1",
        aad_object_id="aad-alice",
        display_name="Alice Example",
        team_id="team-1",
        channel_id="19:chan@thread.tacv2",
        conversation_id="19:chan@thread.tacv2;messageid=1",
        command="deploy",
        arguments={"env": "prod", "replicas": 3, "dry_run": False, "tags": ["a", "b"]},
        outcome="ok",
        detail="",
        duration_ms=12.5,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def audit(db: Database) -> AuditLog:
    return AuditLog(db)


async def test_append_then_query_round_trips(audit: AuditLog) -> None:
    rec = record(job_id="job-7", detail="started")
    await audit.append(rec)
    [stored] = await audit.query()
    assert stored == rec
    assert stored.id is not None
    assert stored.at == rec.at and stored.at.tzinfo is not None
    assert stored.at.utcoffset() == timedelta(0)


async def test_non_utc_times_are_stored_as_utc(audit: AuditLog) -> None:
    paris = timezone(timedelta(hours=2))
    await audit.append(record(at=T0.astimezone(paris)))
    [stored] = await audit.query()
    assert stored.at == T0 and stored.at.utcoffset() == timedelta(0)


async def test_naive_times_are_refused(audit: AuditLog) -> None:
    with pytest.raises(ValueError, match="timezone"):
        await audit.append(record(at=datetime(2024, 1, 1)))


async def test_newest_first_and_last_limits(audit: AuditLog) -> None:
    for n in (1, 3, 2, 0):
        await audit.append(record(n))
    got = await audit.query()
    assert [r.correlation_id for r in got] == ["corr-3", "corr-2", "corr-1", "corr-0"]
    assert [r.correlation_id for r in await audit.query(last=2)] == ["corr-3", "corr-2"]
    assert await audit.query(last=0) == []


async def test_same_instant_orders_by_insertion(audit: AuditLog) -> None:
    await audit.append(record(correlation_id="first"))
    await audit.append(record(correlation_id="second"))
    assert [r.correlation_id for r in await audit.query()] == ["second", "first"]


async def test_filter_by_user_id_or_display_name(audit: AuditLog) -> None:
    await audit.append(record(1))
    await audit.append(record(2, aad_object_id="aad-bob", display_name="Bob 100%_Sure"))
    by_id = await audit.query(user="aad-bob")
    assert [r.display_name for r in by_id] == ["Bob 100%_Sure"]
    assert [r.aad_object_id for r in await audit.query(user="ALICE")] == ["aad-alice"]
    assert [r.aad_object_id for r in await audit.query(user="ce exa")] == ["aad-alice"]
    assert await audit.query(user="aad-bo") == []  # ids match exactly, not as substrings
    assert await audit.query(user="x%") == []  # LIKE wildcards are matched literally
    assert await audit.query(user="a_i") == []
    assert [r.aad_object_id for r in await audit.query(user="0%_s")] == ["aad-bob"]


async def test_filter_by_kind(audit: AuditLog) -> None:
    await audit.append(record(1, kind="command"))
    await audit.append(record(2, kind="approval", outcome="denied"))
    [approval] = await audit.query(kind="approval")
    assert approval.outcome == "denied"
    assert len(await audit.query(kind="command", user="aad-alice")) == 1


async def test_arguments_are_redacted_before_storage(db: Database, audit: AuditLog) -> None:
    args = {
        "env": "prod",
        "password": "hunter2",
        "nested": {"token": "abc", "list": ["Bearer abcdefghij"]},
    }
    await audit.append(record(arguments=args))
    [stored] = await audit.query()
    assert stored.arguments == {
        "env": "prod",
        "password": REDACTED,
        "nested": {"token": REDACTED, "list": [REDACTED]},
    }
    async with db.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT arguments FROM audit_log"))).scalar()
    assert "hunter2" not in str(raw)


async def test_exotic_argument_values_are_stored_as_text(audit: AuditLog) -> None:
    await audit.append(record(arguments={"when": T0, "ids": (1, 2)}))
    [stored] = await audit.query()
    assert stored.arguments == {"when": str(T0), "ids": [1, 2]}


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET outcome = 'ok2'", "DELETE FROM audit_log"],
)
async def test_the_database_refuses_to_change_history(
    db: Database, audit: AuditLog, statement: str
) -> None:
    await audit.append(record())
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as conn:
            await conn.execute(text(statement))
    assert len(await audit.query()) == 1


async def test_truncate_is_refused_on_postgres(db: Database, audit: AuditLog) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    await audit.append(record())
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as conn:
            await conn.execute(text("TRUNCATE audit_log"))


def test_audit_log_has_no_update_or_delete_api() -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert public == {"append", "query", "done_since"}  # one writer, two readers
