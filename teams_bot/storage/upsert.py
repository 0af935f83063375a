"""INSERT ... ON CONFLICT for whichever engine a Database runs on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(dialect: str, table: Table) -> Any:
    """A dialect-specific INSERT that supports `on_conflict_do_*` (both engines spell it alike)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported dialect {dialect!r}")


def upsert(dialect: str, table: Table, key: str, columns: list[str]) -> Any:
    """INSERT that updates `columns` from the new row when `key` already exists."""
    stmt = insert_for(dialect, table)
    return stmt.on_conflict_do_update(
        index_elements=[key], set_={c: stmt.excluded[c] for c in columns}
    )
