"""Card actions in storage: single use, expiry, group claims, concurrent replicas (both engines)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from teams_bot.actions.signing import ActionSigner
from teams_bot.actions.store import ActionRecord, ActionStore, CardRecord
from teams_bot.storage.db import Database
from tests.db_fixtures import OpenDb

NOW = datetime(2026, 11, 23, 14, 2, tzinfo=UTC)


def card(card_id: str = "card-1") -> CardRecord:
    return CardRecord(
        id=card_id,
        kind="failed_nodes",
        data={"nodes": ["n1", "n2", "n3"]},
        tenant_id="t1",
        conversation_id="conv-1",
        created_at=NOW,
        updated_at=NOW,
    )


def action(
    action_id: str, verb: str, arguments: dict, ttl: timedelta = timedelta(hours=1)
) -> ActionRecord:
    return ActionRecord(
        id=action_id,
        card_id="card-1",
        verb=verb,
        permission="nodes.reboot",
        command="nodes reboot",
        arguments=arguments,
        tenant_id="t1",
        created_by="oid-a",
        created_at=NOW,
        expires_at=NOW + ttl,
    )


async def seeded(db: Database) -> ActionStore:
    store = ActionStore(db)
    await store.create(
        card(),
        [
            action("a1", "nodes.reboot", {"target": "n1"}),
            action("a2", "nodes.reboot", {"target": "n2"}),
            action("a3", "nodes.reboot", {"target": "n3"}),
            action("all", "nodes.reboot_all", {"targets": ["n1", "n2", "n3", "n4"]}),
            action("old", "nodes.reboot", {"target": "n9"}, ttl=timedelta(seconds=-1)),
        ],
    )
    return store


async def test_an_action_is_claimed_once(db: Database) -> None:
    store = await seeded(db)
    first = await store.claim("a1", "oid-a", "Ada", NOW)
    assert first is not None and first.state == "claimed" and first.claimed_by_name == "Ada"
    assert await store.claim("a1", "oid-b", "Bob", NOW) is None
    assert (await store.get("a1")).claimed_by == "oid-a"  # type: ignore[union-attr]


async def test_expired_actions_cannot_be_claimed(db: Database) -> None:
    store = await seeded(db)
    assert await store.claim("old", "oid-a", "Ada", NOW) is None
    assert (await store.get("old")).state == "open"  # type: ignore[union-attr]


async def test_group_claim_skips_targets_taken_individually(db: Database) -> None:
    store = await seeded(db)
    await store.claim("a2", "oid-b", "Bob", NOW)
    group = await store.claim_group("all", "nodes.reboot", "oid-a", "Ada", NOW)
    assert group is not None
    assert group[1] == ["n1", "n3", "n4"]
    states = {a.id: a.state for a in await store.actions_of("card-1")}
    assert states["a1"] == states["a3"] == "superseded" and states["a2"] == "claimed"
    assert await store.claim("a1", "oid-b", "Bob", NOW) is None, "superseded is not claimable"


async def test_two_replicas_pressing_at_once_run_once(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    await seeded(first)
    stores = [ActionStore(first), ActionStore(second)] * 5
    results = await asyncio.gather(
        *(s.claim("a3", f"oid-{i}", f"User {i}", NOW) for i, s in enumerate(stores))
    )
    assert sum(r is not None for r in results) == 1


async def test_group_and_member_race_never_double_target(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    await seeded(first)
    member, group = await asyncio.gather(
        ActionStore(first).claim("a1", "oid-b", "Bob", NOW),
        ActionStore(second).claim_group("all", "nodes.reboot", "oid-a", "Ada", NOW),
    )
    assert group is not None
    assert ("n1" in group[1]) != (member is not None), "n1 is rebooted by exactly one press"


async def test_card_updates_are_optimistic_and_lose_nothing(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    await seeded(first)
    stores = [ActionStore(first), ActionStore(second)]

    def add(node: str):
        def change(data: dict) -> dict:
            data["progress"] = {**data.get("progress", {}), node: "rebooting"}
            return data

        return change

    await asyncio.gather(
        *(stores[i % 2].update_card("card-1", add(f"n{i}"), NOW) for i in range(6))
    )
    final = await stores[0].card("card-1")
    assert final is not None and set(final.data["progress"]) == {f"n{i}" for i in range(6)}
    assert final.version == 7


def test_signed_ids_reject_tampering_and_foreign_keys() -> None:
    signer = ActionSigner(b"0123456789abcdef-secret")
    token = signer.token("abc")
    assert signer.verify(token) == "abc"
    assert signer.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert signer.verify("xyz." + token.split(".")[1]) is None
    assert ActionSigner(b"another-secret-entirely").verify(token) is None
    for junk in (None, 42, "", "no-dot", "a.b.c", "x" * 500):
        assert signer.verify(junk) is None


async def test_a_claim_holds_a_lease_that_renewal_extends(db: Database) -> None:
    store = await seeded(db)
    claimed = await store.claim("a1", "oid-a", "Ada", NOW)
    assert claimed is not None and claimed.lease_until is not None and claimed.lease_until > NOW
    assert await store.interrupted(NOW + timedelta(seconds=60)) == []
    await store.renew("a1", NOW + timedelta(minutes=10))
    assert await store.interrupted(NOW + timedelta(minutes=5)) == []


async def test_work_whose_lease_ran_out_is_reported_once(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    store = await seeded(first)
    await store.claim("a1", "oid-a", "Ada", NOW)
    await store.claim("a2", "oid-b", "Bob", NOW)
    await store.finish("a2", "done", {}, NOW)
    later = NOW + timedelta(minutes=5)
    found = await asyncio.gather(store.interrupted(later), ActionStore(second).interrupted(later))
    ids = [a.id for batch in found for a in batch]
    assert ids == ["a1"], "only unfinished work, and each exactly once across replicas"
    after = await store.get("a1")
    assert after is not None and after.state == "failed" and after.result == {"interrupted": True}
