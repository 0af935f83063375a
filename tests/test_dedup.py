"""Turn de-duplication by activity id on both engines, across replicas (issue 9, #19)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from teams_bot.dedup import WINDOW, activity_key, first_delivery, prune
from teams_bot.jobs.tables import seen_activities
from teams_bot.storage.db import Database
from tests.db_fixtures import OpenDb

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
KEY = activity_key("msteams", "19:abc@thread.tacv2;messageid=1", "1700000000000")


async def test_the_first_delivery_wins_a_retry_does_not(db: Database) -> None:
    assert await first_delivery(db, KEY, NOW) is True
    assert await first_delivery(db, KEY, NOW + timedelta(seconds=5)) is False
    assert await first_delivery(db, KEY, NOW + 2 * WINDOW) is False  # not pruned: still seen
    other = activity_key("msteams", "19:abc@thread.tacv2;messageid=1", "1700000000001")
    assert await first_delivery(db, other, NOW) is True


async def test_two_replicas_racing_on_one_retry_run_it_once(open_db: OpenDb) -> None:
    replicas = [await open_db(), await open_db()]
    keys = [activity_key("msteams", "a:1", f"id-{n}") for n in range(5)]
    tries = [first_delivery(replicas[i % 2], key, NOW) for key in keys for i in range(10)]
    results = await asyncio.gather(*tries)
    for n in range(len(keys)):
        assert sum(results[n * 10 : (n + 1) * 10]) == 1, results


async def test_prune_forgets_only_old_keys(db: Database) -> None:
    for n in range(7):
        await first_delivery(db, f"old-{n}", NOW - WINDOW - timedelta(minutes=n + 1))
    await first_delivery(db, "recent", NOW - timedelta(minutes=5))
    assert await prune(db, NOW) == 7
    async with db.engine.connect() as conn:
        left = await conn.scalar(select(func.count()).select_from(seen_activities))
    assert left == 1
    assert await first_delivery(db, "old-0", NOW) is True  # forgotten: a new delivery again
    assert await first_delivery(db, "recent", NOW) is False


async def test_long_or_odd_keys_are_hashed_and_still_deduplicated(db: Database) -> None:
    long_key = activity_key("msteams", "19:" + "c" * 400, "1")
    odd_key = activity_key("msteams", "a:1", "id\ud800\n")
    assert long_key.startswith("sha256:") and odd_key.startswith("sha256:")
    assert len(long_key) <= 255 and long_key != activity_key("msteams", "19:" + "c" * 401, "1")
    for key in (long_key, odd_key):
        assert await first_delivery(db, key, NOW) is True
        assert await first_delivery(db, key, NOW) is False
