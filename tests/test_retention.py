"""Retention prunes closed and expired records on both engines, never live ones or the audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from teams_bot import retention
from teams_bot.actions.tables import card_actions, cards
from teams_bot.approvals.tables import approval_votes, approvals
from teams_bot.dedup import first_delivery
from teams_bot.storage.audit import AuditLog, AuditRecord
from teams_bot.storage.db import Database
from teams_bot.storage.schema import audit_log

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
AGE = timedelta(days=30)
OLD = NOW - AGE - timedelta(days=1)
RECENT = NOW - timedelta(days=1)


def card(card_id: str, updated: datetime) -> dict[str, Any]:
    return {
        "id": card_id,
        "kind": "nodes",
        "data": {},
        "version": 1,
        "tenant_id": "t",
        "conversation_id": "c",
        "activity_id": "a",
        "created_at": updated,
        "updated_at": updated,
    }


def action(action_id: str, card_id: str, state: str, at: datetime) -> dict[str, Any]:
    ended = state not in ("open", "claimed")
    return {
        "id": action_id,
        "card_id": card_id,
        "verb": "reboot",
        "permission": "nodes.reboot",
        "command": "nodes reboot",
        "arguments": {"node": "n1"},
        "tenant_id": "t",
        "created_by": "u",
        "created_at": at,
        "expires_at": at + timedelta(hours=1),
        "state": state,
        "claimed_by": "",
        "claimed_by_name": "",
        "claimed_at": at if state != "open" else None,
        "finished_at": at if ended else None,
        "result": None,
        "lease_until": None,
    }


def approval(approval_id: str, state: str, at: datetime) -> dict[str, Any]:
    return {
        "id": approval_id,
        "version": 1,
        "state": state,
        "tenant_id": "t",
        "conversation_id": "c",
        "activity_id": "a",
        "requester_id": "u",
        "requester_name": "U",
        "requester_teams_id": "29:u",
        "kind": "command",
        "command": "nodes reboot",
        "text": "nodes reboot n1",
        "action_id": "",
        "arguments": {},
        "summary": "",
        "reason": "",
        "where": {},
        "approver_roles": ["ops-lead"],
        "quorum": 1,
        "rule": "r",
        "rule_description": "",
        "created_at": at,
        "expires_at": at + timedelta(hours=1),
        "decided_at": at if state != "pending" else None,
        "updated_at": at,
        "lease_until": None,
        "result": None,
    }


async def ids(db: Database, column: Any) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.scalars(select(column)))


async def test_prune_removes_only_what_is_over_and_old(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(cards),
            [card("old-done", OLD), card("old-live", OLD), card("recent", RECENT)],
        )
        await conn.execute(
            insert(card_actions),
            [
                action("done-old", "old-done", "done", OLD),
                action("failed-old", "old-done", "failed", OLD),
                action("superseded-old", "old-done", "superseded", OLD),
                action("expired-old", "old-done", "open", OLD),
                action("claimed-old", "old-live", "claimed", OLD),  # job may still run
                action("done-recent", "recent", "done", RECENT),
                action("open-recent", "recent", "open", RECENT),
            ],
        )
        await conn.execute(
            insert(approvals),
            [
                approval("DENIED", "denied", OLD),
                approval("SUCCEEDED", "succeeded", OLD),
                approval("EXPIRED", "expired", OLD),
                approval("PENDING", "pending", OLD),
                approval("RUNNING", "running", OLD),
                approval("RECENT", "denied", RECENT),
            ],
        )
        vote = {"voter_id": "v", "voter_name": "V", "decision": "deny", "reason": "", "at": OLD}
        await conn.execute(
            insert(approval_votes),
            [{**vote, "approval_id": "DENIED"}, {**vote, "approval_id": "RUNNING"}],
        )
    await first_delivery(db, "old-key", OLD)
    await first_delivery(db, "new-key", NOW)
    audit = AuditLog(db)
    await audit.append(audit_record(OLD))

    pruned = await retention.prune(db, NOW, AGE)

    assert pruned == retention.Pruned(card_actions=4, cards=1, approvals=3, seen_activities=1)
    assert await ids(db, card_actions.c.id) == {"claimed-old", "done-recent", "open-recent"}
    assert await ids(db, cards.c.id) == {"old-live", "recent"}
    assert await ids(db, approvals.c.id) == {"PENDING", "RUNNING", "RECENT"}
    assert await ids(db, approval_votes.c.approval_id) == {"RUNNING"}
    assert len(await audit.query(last=10)) == 1, "the audit log is never pruned"
    assert await retention.prune(db, NOW, AGE) == retention.Pruned(0, 0, 0, 0)


async def test_prune_works_in_batches(db: Database, monkeypatch: Any) -> None:
    monkeypatch.setattr(retention, "BATCH", 7)
    async with db.engine.begin() as conn:
        await conn.execute(insert(cards), [card(f"c{n}", OLD) for n in range(3)])
        rows = [action(f"a{n}", f"c{n % 3}", "done", OLD) for n in range(100)]
        await conn.execute(insert(card_actions), rows)
        await conn.execute(insert(approvals), [approval(f"A{n}", "failed", OLD) for n in range(20)])
    pruned = await retention.prune(db, NOW, AGE)
    assert (pruned.card_actions, pruned.cards, pruned.approvals) == (100, 3, 20)
    async with db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(card_actions)) == 0
        assert await conn.scalar(select(func.count()).select_from(audit_log)) == 0


def audit_record(at: datetime) -> AuditRecord:
    return AuditRecord(
        at=at,
        correlation_id="c",
        kind="action",
        tenant_id="t",
        aad_object_id="u",
        display_name="U",
        team_id="",
        channel_id="",
        conversation_id="c",
        command="nodes reboot",
        arguments={},
        outcome="ok",
        detail="",
        duration_ms=1.0,
    )
