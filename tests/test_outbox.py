"""The outbox in storage (both engines): enqueue commits, coalescing, claims across replicas,
leases after a killed worker, update targets, retries, failures, disabling."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from teams_bot.outbox import NewDelivery, OutboxStore
from teams_bot.storage.db import Database
from tests.db_fixtures import OpenDb

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def item(n: int = 0, *, key: str = "", kind: str = "post", conv: str = "conv-1") -> NewDelivery:
    return NewDelivery(
        conv,
        "tenant-1",
        {"n": n},
        kind=kind,
        coalesce_key=key,  # type: ignore[arg-type]
        origin="test",
    )


async def test_enqueue_is_committed_and_visible_to_another_replica(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    row_id = await OutboxStore(first).enqueue(item(1), NOW)
    due = await OutboxStore(second).due(NOW, 10)
    assert [(d.id, d.payload, d.state, d.attempts) for d in due] == [
        (row_id, {"n": 1}, "pending", 0)
    ]
    assert due[0].enqueued_at == NOW


async def test_pending_updates_of_one_key_collapse_newest_wins(db: Database) -> None:
    store = OutboxStore(db)
    ids = [await store.enqueue(item(n, key="alert:am:g1", kind="update"), NOW) for n in range(5)]
    other = await store.enqueue(item(9, key="alert:am:g2", kind="update"), NOW)
    plain = [await store.enqueue(item(7), NOW) for _ in range(2)]  # no key: never collapsed
    assert len(set(ids)) == 1
    due = await store.due(NOW, 10)
    assert sorted((d.id, d.payload["n"]) for d in due) == sorted(
        [(ids[0], 4), (other, 9), (plain[0], 7), (plain[1], 7)]
    )


async def test_two_replicas_never_claim_the_same_row(open_db: OpenDb) -> None:
    dbs = [await open_db(), await open_db()]
    stores = [OutboxStore(d) for d in dbs]
    ids = [await stores[0].enqueue(item(n), NOW) for n in range(40)]
    got = await asyncio.gather(*(stores[i % 2].claim(ids, f"w{i}", NOW, LEASE) for i in range(6)))
    claimed = [d.id for batch in got for d in batch]
    assert sorted(claimed) == ids  # each exactly once
    assert all(d.state == "sending" and d.attempts == 1 for batch in got for d in batch)


async def test_a_killed_workers_rows_are_claimed_again_after_the_lease(db: Database) -> None:
    store = OutboxStore(db)
    row_id = await store.enqueue(item(), NOW)
    assert [d.id for d in await store.claim([row_id], "dead", NOW, LEASE)] == [row_id]
    assert await store.claim([row_id], "w2", NOW + LEASE / 2, LEASE) == []
    later = NOW + LEASE + timedelta(seconds=1)
    again = await store.claim([row_id], "w2", later, LEASE)
    assert [(d.id, d.claimed_by, d.attempts) for d in again] == [(row_id, "w2", 2)]
    await store.mark_sent(again[0], "msg-1", later)
    # the dead worker's late outcome no longer applies
    await store.fail((await store.claim([row_id], "dead", NOW, LEASE) or again)[0], "x", later)
    assert (await store.get(row_id)).state == "sent"  # type: ignore[union-attr]


async def test_an_update_waits_for_its_post_then_edits_that_message(db: Database) -> None:
    store = OutboxStore(db)
    post_id = await store.enqueue(item(1, key="k", kind="update"), NOW)
    [post] = await store.claim([post_id], "w1", NOW, LEASE)
    assert post.message_id == "" and not post.is_update  # nothing posted yet: a post
    update_id = await store.enqueue(item(2, key="k", kind="update"), NOW)
    assert update_id != post_id
    assert [d.id for d in await store.due(NOW, 10)] == []  # waits while the post is in flight
    await store.mark_sent(post, "msg-7", NOW)
    [update] = await store.claim([update_id], "w1", NOW, LEASE)
    assert (update.message_id, update.is_update, update.payload) == ("msg-7", True, {"n": 2})
    await store.mark_sent(update, "", NOW)
    assert await store.message_id("conv-1", "k") == "msg-7"


async def test_a_retried_row_is_superseded_by_a_newer_pending_one(db: Database) -> None:
    store = OutboxStore(db)
    first = await store.enqueue(item(1, key="k", kind="update"), NOW)
    [claimed] = await store.claim([first], "w1", NOW, LEASE)
    newer = await store.enqueue(item(2, key="k", kind="update"), NOW)
    await store.retry_at(claimed, NOW + timedelta(seconds=5), "HTTP 502", NOW)
    assert (await store.get(first)).state == "superseded"  # type: ignore[union-attr]
    [due] = await store.due(NOW, 10)
    assert (due.id, due.payload) == (newer, {"n": 2})


async def test_retry_fail_and_the_failed_query(db: Database) -> None:
    store = OutboxStore(db)
    row_id = await store.enqueue(item(), NOW)
    [claimed] = await store.claim([row_id], "w1", NOW, LEASE)
    await store.retry_at(claimed, NOW + timedelta(seconds=30), "HTTP 502", NOW)
    assert await store.due(NOW + timedelta(seconds=29), 10) == []
    assert await store.next_due_at() == NOW + timedelta(seconds=30)
    [claimed] = await store.claim([row_id], "w1", NOW + timedelta(seconds=30), LEASE)
    await store.fail(claimed, "HTTP 400: bad card", NOW + timedelta(seconds=31))
    [failed] = await store.failed()
    assert (failed.id, failed.last_error, failed.attempts) == (row_id, "HTTP 400: bad card", 2)
    assert (await store.counts()) == {"failed": 1}


async def test_disable_conversation_stops_its_open_rows_only(db: Database) -> None:
    store = OutboxStore(db)
    a = [await store.enqueue(item(n, conv="gone"), NOW) for n in range(3)]
    b = await store.enqueue(item(9, conv="kept"), NOW)
    assert await store.disable_conversation("gone", "HTTP 403", NOW) == 3
    assert [d.id for d in await store.due(NOW, 10)] == [b]
    states = [(await store.get(i)).state for i in a]  # type: ignore[union-attr]
    assert states == ["disabled"] * 3


async def test_prune_keeps_the_message_later_updates_edit(db: Database) -> None:
    store = OutboxStore(db)
    key_post = await store.enqueue(item(1, key="k", kind="update"), NOW)
    [p] = await store.claim([key_post], "w", NOW, LEASE)
    await store.mark_sent(p, "msg-1", NOW)
    plain = await store.enqueue(item(2), NOW)
    [q] = await store.claim([plain], "w", NOW, LEASE)
    await store.mark_sent(q, "msg-2", NOW)
    assert await store.prune(NOW + timedelta(days=8)) == 1
    assert await store.message_id("conv-1", "k") == "msg-1"
    assert await store.get(plain) is None
