"""Approvals in storage: every vote outcome, quorum, expiry and races across replicas."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from teams_bot.approvals import (
    Approval,
    ApprovalStateError,
    ApprovalStore,
    new_approval_id,
)
from teams_bot.approvals.models import ID_ALPHABET
from teams_bot.storage.db import Database
from tests.db_fixtures import OpenDb

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
REQUESTER = "oid-req"


def approval(approval_id: str = "A7K3F2", *, quorum: int = 1, **extra: object) -> Approval:
    base = Approval(
        id=approval_id,
        state="pending",
        tenant_id="t1",
        conversation_id="conv-1",
        activity_id="",
        requester_id=REQUESTER,
        requester_name="Ada Lovelace",
        requester_teams_id="29:ada",
        kind="command",
        command="deploy",
        text="deploy payments-api env=prod",
        action_id="",
        arguments={"service": "payments-api", "env": "prod", "targets": ["n1", "n2"]},
        summary="Deploy payments-api to prod",
        reason="hotfix for INC-42",
        where={"team_id": "team-1", "channel_id": "chan-1", "conversation_type": "channel"},
        approver_roles=("ops-lead", "admin"),
        quorum=quorum,
        rule="approval_rules[1]",
        rule_description="production deploys",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=30),
    )
    return replace(base, **extra)  # type: ignore[arg-type]


async def stored(db: Database, *items: Approval) -> ApprovalStore:
    store = ApprovalStore(db)
    for item in items or (approval(),):
        await store.create(item)
    return store


def test_new_ids_are_short_and_unambiguous() -> None:
    ids = {new_approval_id() for _ in range(2000)}
    assert len(ids) > 1990
    assert all(re.fullmatch(f"[{ID_ALPHABET}]{{6}}", i) for i in ids)
    assert not set("0O1I") & set("".join(ids))


async def test_round_trip_keeps_every_field(db: Database) -> None:
    store = await stored(db)
    got = await store.get("A7K3F2")
    assert got == approval()
    assert got is not None and got.approver_roles == ("ops-lead", "admin")
    assert got.created_at.tzinfo is not None and got.approvals == 0 and got.denial is None


async def test_lookups_ignore_case(db: Database) -> None:
    store = await stored(db, approval("a7k3f2"))
    assert (await store.get(" a7K3f2 ")) is not None
    assert (await store.get("A7K3F2")).id == "A7K3F2"  # type: ignore[union-attr]
    result = await store.vote("a7k3f2", "oid-b", "Bob", "approve", "", LATER)
    assert result.outcome == "approved"
    assert await store.get("NOPE22") is None


async def test_a_taken_id_gets_a_fresh_one(db: Database) -> None:
    store = await stored(db)
    again = await store.create(approval(summary="another"))
    assert again.id != "A7K3F2" and len(again.id) == 6
    assert (await store.get(again.id)).summary == "another"  # type: ignore[union-attr]


async def test_one_approval_meets_quorum_one(db: Database) -> None:
    store = await stored(db)
    result = await store.vote("A7K3F2", "oid-b", "Bob", "approve", "looks fine", LATER)
    assert result.outcome == "approved"
    assert result.approval is not None
    assert result.approval.state == "approved" and result.approval.decided_at == LATER
    assert [(v.voter_name, v.decision, v.reason) for v in result.approval.votes] == [
        ("Bob", "approve", "looks fine")
    ]


async def test_quorum_two_needs_two_different_approvers(db: Database) -> None:
    store = await stored(db, approval(quorum=2))
    first = await store.vote("A7K3F2", "oid-b", "Bob", "approve", "", LATER)
    assert first.outcome == "recorded" and first.approval is not None
    assert first.approval.state == "pending" and first.approval.approvals == 1
    again = await store.vote("A7K3F2", "oid-b", "Bob", "approve", "", LATER)
    assert again.outcome == "duplicate" and again.approval.approvals == 1  # type: ignore[union-attr]
    second = await store.vote("A7K3F2", "oid-c", "Cy", "approve", "", LATER)
    assert second.outcome == "approved" and second.approval is not None
    assert second.approval.state == "approved" and second.approval.approvals == 2
    late = await store.vote("A7K3F2", "oid-d", "Di", "approve", "", LATER)
    assert late.outcome == "closed" and late.approval.approvals == 2  # type: ignore[union-attr]


async def test_the_requester_cannot_vote(db: Database) -> None:
    store = await stored(db)
    for decision in ("approve", "deny"):
        result = await store.vote("A7K3F2", REQUESTER, "Ada", decision, "", LATER)
        assert result.outcome == "self"
        assert result.approval is not None and result.approval.votes == ()
        assert result.approval.state == "pending"


async def test_one_deny_closes_it(db: Database) -> None:
    store = await stored(db, approval(quorum=2))
    await store.vote("A7K3F2", "oid-b", "Bob", "approve", "", LATER)
    denied = await store.vote("A7K3F2", "oid-c", "Cy", "deny", "not during the freeze", LATER)
    assert denied.outcome == "denied" and denied.approval is not None
    assert denied.approval.state == "denied" and denied.approval.decided_at == LATER
    assert denied.approval.denial is not None
    assert denied.approval.denial.voter_name == "Cy"
    assert denied.approval.denial.reason == "not during the freeze"
    after = await store.vote("A7K3F2", "oid-d", "Di", "approve", "", LATER)
    assert after.outcome == "closed" and after.approval.state == "denied"  # type: ignore[union-attr]


async def test_unknown_and_bad_decisions(db: Database) -> None:
    store = await stored(db)
    assert (await store.vote("ZZZZZZ", "oid-b", "Bob", "approve", "", LATER)).outcome == "unknown"
    assert (await store.vote("ZZZZZZ", "oid-b", "Bob", "approve", "", LATER)).approval is None
    with pytest.raises(ValueError, match="decision"):
        await store.vote("A7K3F2", "oid-b", "Bob", "maybe", "", LATER)


async def test_a_vote_after_expiry_expires_it(db: Database) -> None:
    store = await stored(db)
    at_expiry = NOW + timedelta(minutes=30)
    result = await store.vote("A7K3F2", "oid-b", "Bob", "approve", "", at_expiry)
    assert result.outcome == "expired" and result.approval is not None
    assert result.approval.state == "expired" and result.approval.votes == ()
    assert result.approval.decided_at == at_expiry
    again = await store.vote("A7K3F2", "oid-c", "Cy", "approve", "", at_expiry)
    assert again.outcome == "closed"


async def test_cancel_only_by_the_requester_while_pending(db: Database) -> None:
    store = await stored(db, approval(), approval("B2C3D4"))
    assert (await store.cancel("A7K3F2", "oid-b", LATER)).outcome == "forbidden"
    assert (await store.get("A7K3F2")).state == "pending"  # type: ignore[union-attr]
    done = await store.cancel("a7k3f2", REQUESTER, LATER)
    assert done.outcome == "recorded" and done.approval is not None
    assert done.approval.state == "cancelled" and done.approval.decided_at == LATER
    assert (await store.cancel("A7K3F2", REQUESTER, LATER)).outcome == "closed"
    assert (await store.vote("A7K3F2", "oid-b", "Bob", "approve", "", LATER)).outcome == "closed"
    assert (await store.cancel("ZZZZZZ", REQUESTER, LATER)).outcome == "unknown"
    late = await store.cancel("B2C3D4", REQUESTER, NOW + timedelta(hours=1))
    assert late.outcome == "expired" and late.approval.state == "expired"  # type: ignore[union-attr]


async def test_mark_walks_approved_running_finished(db: Database) -> None:
    store = await stored(db)
    with pytest.raises(ApprovalStateError, match="pending"):
        await store.mark("A7K3F2", "running", LATER)
    await store.vote("A7K3F2", "oid-b", "Bob", "approve", "", LATER)
    running = await store.mark("a7k3f2", "running", LATER, {"job": "job-1"})
    assert running.state == "running" and running.result == {"job": "job-1"}
    assert running.decided_at == LATER and running.updated_at == LATER
    done = await store.mark("A7K3F2", "succeeded", LATER + timedelta(minutes=1), {"exit": 0})
    assert done.state == "succeeded" and done.result == {"exit": 0}
    with pytest.raises(ApprovalStateError):
        await store.mark("A7K3F2", "failed", LATER)
    with pytest.raises(ApprovalStateError):
        await store.mark("A7K3F2", "approved", LATER)
    with pytest.raises(KeyError):
        await store.mark("ZZZZZZ", "running", LATER)


async def test_activity_id_and_open_lists(db: Database) -> None:
    older = approval("AAAAAA", created_at=NOW - timedelta(minutes=1))
    other = approval("BBBBBB", requester_id="oid-x", approver_roles=("dba",), created_at=LATER)
    closed = approval("CCCCCC", created_at=NOW + timedelta(minutes=1))
    store = await stored(db, older, approval(), other, closed)
    await store.cancel("CCCCCC", REQUESTER, LATER)
    await store.set_activity_id("a7k3f2", "1:activity")
    assert (await store.get("A7K3F2")).activity_id == "1:activity"  # type: ignore[union-attr]
    assert [a.id for a in await store.open_for(REQUESTER)] == ["A7K3F2", "AAAAAA"]
    assert await store.open_for("oid-nobody") == []
    assert [a.id for a in await store.open_with_roles({"dba"})] == ["BBBBBB"]
    found = await store.open_with_roles(["admin", "dba"])
    assert [a.id for a in found] == ["BBBBBB", "A7K3F2", "AAAAAA"]
    assert await store.open_with_roles([]) == []
    assert await store.open_with_roles(["ops"]) == []


async def test_expire_due_returns_what_it_expired(db: Database) -> None:
    soon = approval("SSSSSS", expires_at=NOW + timedelta(minutes=1))
    store = await stored(db, approval(), soon, approval("DDDDDD", expires_at=NOW))
    await store.cancel("DDDDDD", REQUESTER, NOW - timedelta(seconds=1))
    assert await store.expire_due(NOW) == []
    expired = await store.expire_due(NOW + timedelta(minutes=1))
    assert [a.id for a in expired] == ["SSSSSS"] and expired[0].state == "expired"
    assert (await store.get("SSSSSS")).decided_at == NOW + timedelta(minutes=1)  # type: ignore[union-attr]
    assert await store.expire_due(NOW + timedelta(minutes=2)) == []
    assert (await store.get("A7K3F2")).state == "pending"  # type: ignore[union-attr]
    assert (await store.get("DDDDDD")).state == "cancelled"  # type: ignore[union-attr]


# --- two replicas ---------------------------------------------------------------------------


async def test_ten_approvers_on_two_replicas_approve_once(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    await stored(first, approval(quorum=2))
    stores = [ApprovalStore(first), ApprovalStore(second)]
    results = await asyncio.gather(
        *(
            stores[i % 2].vote("A7K3F2", f"oid-{i}", f"User {i}", "approve", "", LATER)
            for i in range(10)
        )
    )
    outcomes = sorted(r.outcome for r in results)
    assert outcomes.count("approved") == 1
    assert outcomes.count("recorded") == 1
    assert outcomes.count("closed") == 8
    final = await stores[1].get("A7K3F2")
    assert final is not None and final.state == "approved" and final.approvals == 2


async def test_deny_and_approve_at_once_agree(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    await stored(first, *(approval(f"R{i}ZZZZ") for i in range(2, 7)))
    for i in range(2, 7):
        deny, allow = await asyncio.gather(
            ApprovalStore(first).vote(f"R{i}ZZZZ", "oid-b", "Bob", "deny", "no", LATER),
            ApprovalStore(second).vote(f"R{i}ZZZZ", "oid-c", "Cy", "approve", "", LATER),
        )
        final = await ApprovalStore(first).get(f"R{i}ZZZZ")
        assert final is not None
        winner = {"denied": deny, "approved": allow}[final.state]
        loser = allow if winner is deny else deny
        assert winner.outcome == final.state and loser.outcome == "closed"
        assert len(final.votes) == 1


async def test_two_replicas_sweeping_expire_each_once(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    ids = [f"E{c}AAAA" for c in "BCDEFGHJKMNPQRST"]
    await stored(first, *(approval(i, expires_at=NOW) for i in ids))
    stores = [ApprovalStore(first), ApprovalStore(second)] * 3
    swept = await asyncio.gather(*(s.expire_due(LATER) for s in stores))
    returned = [a.id for batch in swept for a in batch]
    assert sorted(returned) == sorted(ids)
    assert all(a.state == "expired" for batch in swept for a in batch)


async def test_running_work_whose_lease_ran_out_is_failed_once(open_db: OpenDb) -> None:
    first, second = await open_db(), await open_db()
    store = await stored(first)
    await store.vote("A7K3F2", "oid-b", "Bob", "approve", "", LATER)
    await store.mark("A7K3F2", "running", LATER)
    assert await store.interrupted(LATER + timedelta(seconds=30)) == []
    await store.renew("A7K3F2", LATER + timedelta(minutes=30))
    assert await store.interrupted(LATER + timedelta(minutes=10)) == []
    much_later = LATER + timedelta(hours=1)
    found = await asyncio.gather(
        store.interrupted(much_later), ApprovalStore(second).interrupted(much_later)
    )
    (gone,) = [a for batch in found for a in batch]
    assert gone.id == "A7K3F2" and gone.state == "failed"
    assert "interrupted" in str(gone.result)
