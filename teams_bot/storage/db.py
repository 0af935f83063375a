"""Engine set-up for the two supported databases, migrations and health check.

SQLite (embedded default) and PostgreSQL (shared by several replicas) behind one API.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from teams_bot.storage.group_commit import GroupCommitWriter

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_FILE = "teams-bot.db"
PING_TIMEOUT_S = 2.0
SQLITE_BUSY_TIMEOUT_MS = 5000
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Arbitrary constant: serialises concurrent `migrate()` calls from several replicas.
_MIGRATE_LOCK_ID = 0x7EA45B07

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def default_sqlite_url(data_dir: Path) -> str:
    """The URL of the embedded database file in `data_dir`, creating the directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / SQLITE_FILE).resolve()}"


def normalise_url(url: str) -> URL:
    """Parse `url` and switch it to the async driver; other databases are refused."""
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")
    return parsed.set(drivername=driver)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _quote(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return f'"{schema}"'


def _upgrade(conn: Connection, schema: str | None) -> None:
    # Serialise replicas migrating at once: the loser waits, then finds nothing to do.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATE_LOCK_ID})
    else:  # SQLite: take the write lock now so the DDL runs in one transaction
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    cfg.attributes["version_table_schema"] = schema
    command.upgrade(cfg, "head")


class Database:
    """An async engine plus the little the rest of the bot needs to know about it."""

    def __init__(self, engine: AsyncEngine, schema: str | None = None) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self.schema = schema
        self._writer: GroupCommitWriter | None = None
        self._writer_engine: Engine | None = None

    @classmethod
    async def connect(cls, url: str, *, schema: str | None = None) -> Database:
        """Open `url` (SQLite or PostgreSQL); `schema` (PostgreSQL only) is created if missing."""
        parsed = normalise_url(url)
        if parsed.drivername.startswith("sqlite"):
            if schema is not None:
                raise ValueError("schema is only supported on PostgreSQL")
            if parsed.database in (None, "", ":memory:"):
                raise ValueError("in-memory SQLite is not supported: use a file")
            return cls(_sqlite_engine(parsed))
        engine = _postgres_engine(parsed, schema)
        if schema is not None:
            await _create_schema(engine, schema)
        return cls(engine, schema)

    async def migrate(self) -> None:
        """Upgrade the schema to the newest alembic revision (a no-op when current)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade, self.schema)

    async def ping(self) -> bool:
        """True if a trivial query answers within PING_TIMEOUT_S."""
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                async with self.engine.connect() as conn:
                    return (await conn.execute(text("SELECT 1"))).scalar() == 1
        except Exception:  # any failure means "not healthy"
            return False

    def group_writer(self) -> GroupCommitWriter | None:
        """SQLite: the shared group-commit writer for hot-path inserts; PostgreSQL: None."""
        if self.dialect != "sqlite":
            return None
        if self._writer is None:
            self._writer_engine = _sqlite_sync_engine(self.engine.url)
            self._writer = GroupCommitWriter(self._writer_engine)
        return self._writer

    async def close(self) -> None:
        """Flush queued writes, then close every connection."""
        if self._writer is not None:
            await self._writer.close()
        if self._writer_engine is not None:
            self._writer_engine.dispose()
        await self.engine.dispose()


def _sqlite_engine(url: URL) -> AsyncEngine:
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_sync_engine(url: URL) -> Engine:
    """A plain sqlite3 engine on the same file, for use from one worker thread."""
    engine = create_engine(url.set(drivername="sqlite"), connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


async def _create_schema(engine: AsyncEngine, schema: str) -> None:
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}"))
    except IntegrityError:  # another replica created it at the same moment
        pass


def _postgres_engine(url: URL, schema: str | None) -> AsyncEngine:
    connect_args: dict[str, Any] = {"timeout": 10}
    if schema is not None:
        connect_args["server_settings"] = {"search_path": _quote(schema)}
    return create_async_engine(url, connect_args=connect_args, pool_pre_ping=True)
