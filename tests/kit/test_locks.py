"""One running job per target, across replicas sharing the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from teams_bot.jobs.locks import TargetLocks
from teams_bot.storage.db import Database
from tests.db_fixtures import OpenDb

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_a_held_target_names_its_holder(db: Database) -> None:
    locks = TargetLocks(db)
    assert await locks.acquire(["node:web-07"], "job-1", "Alice", NOW) == []
    (busy,) = await locks.acquire(["node:web-07", "node:web-11"], "job-2", "Bob", NOW)
    assert (busy.target, busy.holder, busy.name, busy.since) == (
        "node:web-07",
        "job-1",
        "Alice",
        NOW,
    )
    assert await locks.acquire(["node:web-11"], "job-3", "Carol", NOW) != [], "job-2 took web-11"


async def test_release_and_partial_release(db: Database) -> None:
    locks = TargetLocks(db)
    await locks.acquire(["a", "b"], "job-1", "Alice", NOW)
    await locks.release("job-1", ["a"])
    assert await locks.acquire(["a"], "job-2", "Bob", NOW) == []
    assert [h.target for h in await locks.acquire(["b"], "job-2", "Bob", NOW)] == ["b"]
    await locks.release("job-1")
    assert await locks.acquire(["b"], "job-2", "Bob", NOW) == []


async def test_a_lock_whose_lease_ran_out_is_taken_over(db: Database) -> None:
    locks = TargetLocks(db)
    await locks.acquire(["node:x"], "dead-job", "Alice", NOW)
    assert await locks.acquire(["node:x"], "job-2", "Bob", NOW + timedelta(seconds=30)) != []
    later = NOW + timedelta(minutes=5)
    assert await locks.acquire(["node:x"], "job-2", "Bob", later) == []
    await locks.renew("job-2", later + timedelta(hours=1))
    assert await locks.acquire(["node:x"], "job-3", "Carol", later + timedelta(minutes=30)) != []


async def test_two_replicas_racing_for_one_target_one_wins(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db(migrate=False)
    for _ in range(5):
        target = f"node:{_}"
        results = await asyncio.gather(
            TargetLocks(first).acquire([target], "job-a", "A", NOW),
            TargetLocks(second).acquire([target], "job-b", "B", NOW),
        )
        assert sorted(len(r) for r in results) == [0, 1], results
