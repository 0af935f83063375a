"""Readiness of the storage: reachable is not enough, the bot must be able to write
(a full or read-only disk made every command fail while a SELECT 1 still answered)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime

from sqlalchemy import delete

from teams_bot.dedup import first_delivery
from teams_bot.jobs.tables import seen_activities
from teams_bot.storage.db import Database

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 2.0
_PROBE_KEY = f"readyz:{socket.gethostname()}:{os.getpid()}"


async def storage_state(db: Database) -> str:
    """ "writable", "not writable" (read-only or full) or "unreachable"."""
    if not await db.ping():
        return "unreachable"
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            async with db.engine.begin() as conn:  # a real committed write, then undone
                await conn.execute(
                    delete(seen_activities).where(seen_activities.c.key == _PROBE_KEY)
                )
            await first_delivery(db, _PROBE_KEY, datetime.now(UTC))
    except Exception as exc:
        log.warning("readiness: the database answers but cannot be written: %s", exc)
        return "not writable"
    return "writable"
