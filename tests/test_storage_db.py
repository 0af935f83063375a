"""Database: URLs, engine settings, migrations, health check (both engines)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from teams_bot.storage.db import MIGRATIONS_DIR, Database, default_sqlite_url, normalise_url
from tests.db_fixtures import DbTarget, OpenDb

TABLES = {"alembic_version", "audit_log", "conversations", "bot_state"}


def head_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


async def table_names(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def version(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_urls_are_normalised_to_async_drivers(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        normalise_url("mysql://u@h/db")


def test_default_sqlite_url_creates_the_directory(tmp_path: Path) -> None:
    url = default_sqlite_url(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()
    assert url == f"sqlite+aiosqlite:///{tmp_path / 'a' / 'b' / 'teams-bot.db'}"


async def test_schema_is_refused_on_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        await Database.connect(default_sqlite_url(tmp_path), schema="x")


async def test_fresh_upgrade_reaches_head(open_db: OpenDb) -> None:
    db = await open_db(migrate=False)
    assert await table_names(db) == set()
    await db.migrate()
    assert TABLES <= await table_names(db)
    assert await version(db) == [head_revision()]


async def test_migrate_twice_is_a_no_op(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO bot_state VALUES ('k', 'e', '{}', '2024-01-01')"))
    await db.migrate()
    assert TABLES <= await table_names(db)
    assert await version(db) == [head_revision()]
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM bot_state"))).scalar() == 1


async def test_two_replicas_may_migrate_concurrently(open_db: OpenDb) -> None:
    import asyncio

    first, second = await open_db(migrate=False), await open_db(migrate=False)
    await asyncio.gather(first.migrate(), second.migrate())
    assert await version(first) == [head_revision()]


async def test_ping(db: Database) -> None:
    assert db.dialect in {"sqlite", "postgresql"}
    assert await db.ping() is True


async def test_ping_is_false_when_the_database_is_unreachable() -> None:
    db = await Database.connect("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert await db.ping() is False
    finally:
        await db.close()


async def test_sqlite_connection_settings(db: Database, db_url: DbTarget) -> None:
    if db_url.engine != "sqlite":
        pytest.skip("SQLite pragmas")
    async with db.engine.connect() as conn:
        pragma = {
            name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }


async def test_postgres_schema_isolates_tables(db: Database, db_url: DbTarget) -> None:
    if db_url.engine != "postgres":
        pytest.skip("PostgreSQL schemas")
    async with db.engine.connect() as conn:
        where = await conn.execute(
            text(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'audit_log'"
            )
        )
        assert db_url.schema in list(where.scalars())
        assert (await conn.execute(text("SELECT current_schema()"))).scalar() == db_url.schema


async def test_replicas_may_create_the_schema_at_once(db_url: DbTarget) -> None:
    if db_url.engine != "postgres":
        pytest.skip("PostgreSQL schemas")
    import asyncio

    dbs = await asyncio.gather(
        *(Database.connect(db_url.url, schema=db_url.schema) for _ in range(4))
    )
    for db in dbs:
        assert await db.ping()
        await db.close()
