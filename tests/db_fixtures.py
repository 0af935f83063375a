"""Database fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEAMS_BOT_TEST_POSTGRES_URL; each test gets its own schema, dropped
afterwards. Without the variable the PostgreSQL half is skipped, except under CI (env CI
set), where it fails: CI must test both engines.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from teams_bot.storage.db import Database, default_sqlite_url

POSTGRES_ENV = "TEAMS_BOT_TEST_POSTGRES_URL"
ENGINES = ["sqlite", "postgres"]


@dataclass(frozen=True)
class DbTarget:
    """Where a test's database lives: enough to open it again as another replica."""

    engine: str
    url: str
    schema: str | None = None


OpenDb = Callable[..., Awaitable[Database]]


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"CI must test PostgreSQL too: set {POSTGRES_ENV}")
    pytest.skip(f"set {POSTGRES_ENV}")


async def _drop_schema(url: str, schema: str) -> None:
    admin = await Database.connect(url)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.close()


@pytest.fixture(params=ENGINES)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DbTarget]:
    """A fresh, empty database on each engine (not migrated)."""
    if request.param == "sqlite":
        yield DbTarget("sqlite", default_sqlite_url(tmp_path / "data"))
        return
    url = postgres_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    yield DbTarget("postgres", url, schema)
    await _drop_schema(url, schema)


@pytest.fixture
async def open_db(db_url: DbTarget) -> AsyncIterator[OpenDb]:
    """Open another Database on the test's database (a second replica); closed afterwards."""
    opened: list[Database] = []

    async def _open(*, migrate: bool = True) -> Database:
        db = await Database.connect(db_url.url, schema=db_url.schema)
        opened.append(db)
        if migrate:
            await db.migrate()
        return db

    yield _open
    for db in opened:
        await db.close()


@pytest.fixture
async def db(open_db: OpenDb) -> Database:
    """A migrated Database on each engine."""
    return await open_db()
