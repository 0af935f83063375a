"""One writer at a time per SQLite database in this process.

SQLite has a single writer; when several coroutines wait on its lock, its busy handler's
sleeps let some of them starve for seconds. Taking an asyncio lock first queues them fairly.
PostgreSQL needs nothing of the kind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from weakref import WeakKeyDictionary

from teams_bot.storage.db import Database

_locks: WeakKeyDictionary[Database, asyncio.Lock] = WeakKeyDictionary()


@contextlib.asynccontextmanager
async def writing(db: Database) -> AsyncIterator[None]:
    if db.dialect != "sqlite":
        yield
        return
    lock = _locks.get(db)
    if lock is None:
        lock = _locks[db] = asyncio.Lock()
    async with lock:
        yield
