"""Turn de-duplication: the same activity delivered twice (a channel retry) is handled once.

The first delivery inserts its key into `seen_activities`; the primary key makes a second insert
of the same key do nothing, on SQLite and PostgreSQL alike, so two replicas receiving the same
retry cannot both win. Keys are kept for WINDOW (channel retries come within minutes), then
pruned. A key still present after WINDOW, not yet pruned, is still a duplicate: activity ids are
unique, so only a retry repeats one.

Wiring: `if not await first_delivery(db, activity_key(channel, conversation, id), now): skip`,
before any command runs; `prune(db, now)` from the maintenance scan.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from teams_bot.jobs.tables import seen_activities
from teams_bot.storage.db import Database

WINDOW = timedelta(hours=1)
_MAX_KEY = 255
_PRUNE_BATCH = 5000


def activity_key(channel_id: str, conversation_id: str, activity_id: str) -> str:
    """One key per delivered activity; hashed when too long or not storable as text."""
    key = f"{channel_id}|{conversation_id}|{activity_id}"
    storable = key.isprintable() and not any("\ud800" <= c <= "\udfff" for c in key)
    if len(key) <= _MAX_KEY and storable:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"


def _insert_once(dialect: str, key: str, now: datetime) -> Any:
    values = {"key": key, "seen_at": now}
    if dialect == "postgresql":
        return postgresql.insert(seen_activities).values(values).on_conflict_do_nothing()
    return sqlite.insert(seen_activities).values(values).on_conflict_do_nothing()


async def first_delivery(db: Database, key: str, now: datetime) -> bool:
    """True for the first delivery of `key` (recorded now), False for any repeat."""
    async with db.engine.begin() as conn:
        result = await conn.execute(_insert_once(db.dialect, key, now))
    return bool(result.rowcount == 1)


async def prune(db: Database, now: datetime, window: timedelta = WINDOW) -> int:
    """Forget keys seen before `now - window`; returns how many, deleted in batches."""
    cutoff = now - window
    total = 0
    while True:
        batch = (
            select(seen_activities.c.key)
            .where(seen_activities.c.seen_at < cutoff)
            .limit(_PRUNE_BATCH)
            .scalar_subquery()
        )
        async with db.engine.begin() as conn:
            result = await conn.execute(
                delete(seen_activities).where(seen_activities.c.key.in_(batch))
            )
        total += result.rowcount
        if result.rowcount < _PRUNE_BATCH:
            return total
