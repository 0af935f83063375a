"""Group commit of audit appends: concurrency, failure isolation, flush on close."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from teams_bot.storage.audit import AuditLog, _row_values
from teams_bot.storage.db import Database
from teams_bot.storage.schema import audit_log
from tests.db_fixtures import OpenDb
from tests.test_storage_audit import record


async def test_concurrent_appends_are_all_stored(db: Database) -> None:
    log = AuditLog(db)
    await asyncio.gather(*(log.append(record(n)) for n in range(300)))
    stored = await log.query(last=1000)
    assert len(stored) == 300
    assert len({r.id for r in stored}) == 300
    assert [r.correlation_id for r in stored[:2]] == ["corr-299", "corr-298"]


async def test_two_replicas_append_concurrently(open_db: OpenDb) -> None:
    logs = [AuditLog(await open_db()) for _ in range(2)]
    await asyncio.gather(*(logs[n % 2].append(record(n)) for n in range(100)))
    assert len(await logs[0].query(last=1000)) == 100


async def test_a_bad_row_fails_only_its_own_caller(db: Database) -> None:
    writer = db.group_writer()
    if writer is None:
        pytest.skip("group commit is SQLite only")
    stmt = insert(audit_log)
    good = [_row_values(record(n)) for n in range(20)]
    bad = {**good[0], "kind": None}  # NOT NULL violation
    results = await asyncio.gather(
        *(writer.insert(stmt, row) for row in [*good[:10], bad, *good[10:]]),
        return_exceptions=True,
    )
    assert [type(r) for r in results if r is not None] == [IntegrityError]
    assert len(await AuditLog(db).query(last=100)) == 20


async def test_close_flushes_queued_appends(open_db: OpenDb) -> None:
    db = await open_db()
    log = AuditLog(db)
    tasks = [asyncio.create_task(log.append(record(n))) for n in range(50)]
    await asyncio.sleep(0)  # let them queue
    await db.close()
    await asyncio.gather(*tasks)
    assert len(await AuditLog(await open_db()).query(last=100)) == 50


async def test_append_after_close_is_refused(open_db: OpenDb) -> None:
    db = await open_db()
    log = AuditLog(db)
    await log.append(record())
    await db.close()
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL appends reconnect through the async pool")
    with pytest.raises(RuntimeError, match="closed"):
        await log.append(replace(record(), correlation_id="late"))
