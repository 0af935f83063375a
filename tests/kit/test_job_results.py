"""Issue 9 #4: a job's result survives a database hiccup, and states only move forward."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from teams_bot.actions.store import ActionStore
from teams_bot.jobs import retry
from teams_bot.jobs.retry import kept_trying
from teams_bot.storage.db import Database
from tests.test_action_store import NOW, action, card


async def test_a_result_is_written_once_the_database_answers_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retry, "KEEP_TRYING_S", 5.0)
    attempts: list[int] = []

    async def write() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError(
                "UPDATE card_actions", {}, Exception("server closed the connection")
            )
        return "stored"

    assert await kept_trying(write, "a result") == "stored"
    assert len(attempts) == 3


async def test_a_bug_is_not_retried() -> None:
    async def write() -> None:
        raise ValueError("not an outage")

    with pytest.raises(ValueError):
        await kept_trying(write, "a result")


async def test_a_job_reported_interrupted_keeps_that_state_and_its_late_result(
    db: Database,
) -> None:
    store = ActionStore(db)
    await store.create(card(), [action("a1", "nodes.reboot", {"target": "n1"})])
    assert await store.claim("a1", "oid-a", "Ada", NOW)
    # the lease ran out while the database was away: another replica reported it interrupted
    (gone,) = await store.interrupted(NOW + timedelta(minutes=5))
    assert gone.id == "a1"
    moved = await store.finish("a1", "done", {"ok": True}, NOW + timedelta(minutes=6))
    assert moved is False, "states only move forward"
    after = await store.get("a1")
    assert after is not None and after.state == "failed"
    assert after.result == {"interrupted": True, "late_result": {"ok": True}}, "nothing lost"


async def test_a_running_job_finishes_normally(db: Database) -> None:
    store = ActionStore(db)
    await store.create(card(), [action("a1", "nodes.reboot", {"target": "n1"})])
    assert await store.claim("a1", "oid-a", "Ada", NOW)
    assert await store.finish("a1", "done", {"ok": True}, NOW) is True
    after = await store.get("a1")
    assert after is not None and (after.state, after.result) == ("done", {"ok": True})
