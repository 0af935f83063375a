"""Approvals in the database: votes counted atomically, safe across replicas.

Every change to one approval runs in one transaction that first bumps the row's `version`
(`UPDATE ... WHERE id = :id`). That takes PostgreSQL's row lock and SQLite's write lock before
anything is read, so concurrent votes on any replica are applied one after another and exactly
one vote can see the quorum reached. Expiry sweeps use `FOR UPDATE SKIP LOCKED` on PostgreSQL
(SQLite has a single writer anyway), so two sweeping replicas never both expire the same one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import RowMapping, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from teams_bot.approvals.models import (
    Approval,
    ApprovalState,
    Decision,
    Outcome,
    Vote,
    VoteResult,
    new_approval_id,
    normalise_id,
)
from teams_bot.approvals.tables import approval_votes, approvals
from teams_bot.leases import lease_from
from teams_bot.storage.db import Database

CREATE_ATTEMPTS = 5  # fresh ids tried when a random id is already taken
# state -> the states `mark` may move from
_MARK_FROM: dict[str, tuple[str, ...]] = {
    "running": ("approved", "running"),  # running -> running updates the result
    "succeeded": ("approved", "running"),
    "failed": ("approved", "running"),
}
_STORED = tuple(f.name for f in fields(Approval) if f.name != "votes")


class ApprovalStateError(ValueError):
    """`mark` was asked for a transition the approval's state does not allow."""


class ApprovalStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, approval: Approval) -> Approval:
        """Store a new approval; if its id is taken, a fresh id is drawn (see the result)."""
        candidate = replace(approval, id=normalise_id(approval.id))
        for _ in range(CREATE_ATTEMPTS):
            try:
                async with self._db.engine.begin() as conn:
                    await conn.execute(approvals.insert(), [_row(candidate)])
                    for vote in candidate.votes:
                        await _insert_vote(conn, candidate.id, vote)
                return candidate
            except IntegrityError:
                if await self.get(candidate.id) is None:
                    raise  # not an id clash
                candidate = replace(candidate, id=new_approval_id())
        raise RuntimeError("could not find a free approval id")

    async def get(self, approval_id: str) -> Approval | None:
        """The approval with this id (any case), or None."""
        async with self._db.engine.connect() as conn:
            return await _load(conn, normalise_id(approval_id))

    async def by_message(self, conversation_id: str, message_id: str) -> Approval | None:
        """The approval whose card is Teams message `message_id` in this conversation."""
        if not message_id:
            return None
        query = select(approvals.c.id).where(
            approvals.c.activity_id == message_id,
            approvals.c.conversation_id == conversation_id,
        )
        async with self._db.engine.connect() as conn:
            found = (await conn.execute(query)).scalar()
            return await _load(conn, found) if found else None

    async def vote(
        self,
        approval_id: str,
        voter_id: str,
        voter_name: str,
        decision: str,
        reason: str,
        now: datetime,
    ) -> VoteResult:
        """Record one person's decision; the outcome says what happened (see VoteResult)."""
        if decision not in ("approve", "deny"):
            raise ValueError(f"decision must be 'approve' or 'deny', not {decision!r}")
        key = normalise_id(approval_id)
        async with self._db.engine.begin() as conn:
            current = await _lock_and_load(conn, key)
            if current is None:
                return VoteResult(None, "unknown")
            outcome = _refusal(current, voter_id, now)
            if outcome == "expired":
                await _set_state(conn, key, "expired", now)
            elif outcome is None:
                vote = Vote(voter_id, voter_name, cast(Decision, decision), reason, now)
                await _insert_vote(conn, key, vote)
                outcome = await _count(conn, current, vote, now)
            return VoteResult(await _load(conn, key), outcome)

    async def cancel(self, approval_id: str, by_id: str, now: datetime) -> VoteResult:
        """The requester withdraws a pending request ("recorded"); nobody else may."""
        key = normalise_id(approval_id)
        async with self._db.engine.begin() as conn:
            current = await _lock_and_load(conn, key)
            if current is None:
                return VoteResult(None, "unknown")
            outcome: Outcome
            if by_id != current.requester_id:
                outcome = "forbidden"
            elif current.state != "pending":
                outcome = "closed"
            elif current.expires_at <= now:
                outcome = "expired"
                await _set_state(conn, key, "expired", now)
            else:
                outcome = "recorded"
                await _set_state(conn, key, "cancelled", now)
            return VoteResult(await _load(conn, key), outcome)

    async def expire_due(self, now: datetime) -> list[Approval]:
        """Expire every pending approval due by `now`; returns exactly those this call expired."""
        due = (
            select(approvals.c.id)
            .where(approvals.c.state == "pending", approvals.c.expires_at <= now)
            .order_by(approvals.c.id)
            .with_for_update(skip_locked=True)
        )
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                update(approvals)
                .where(approvals.c.id.in_(due), approvals.c.state == "pending")
                .values(_state_values("expired", now))
                .returning(approvals.c.id)
            )
            ids = [row[0] for row in result]
            if not ids:
                return []
            query = select(approvals).where(approvals.c.id.in_(ids)).order_by(approvals.c.id)
            return await _load_many(conn, query)

    async def mark(
        self,
        approval_id: str,
        state: ApprovalState,
        now: datetime,
        result: dict[str, Any] | None = None,
    ) -> Approval:
        """Move an approved request on: approved -> running -> succeeded | failed.

        `result` (output tail, exit code, job id) replaces the stored one when given. Raises
        KeyError for an unknown id and ApprovalStateError for a transition not allowed.
        """
        allowed_from = _MARK_FROM.get(state)
        if allowed_from is None:
            raise ApprovalStateError(f"mark cannot set state {state!r}")
        key = normalise_id(approval_id)
        values = _state_values(state, now, decided=False)
        values["lease_until"] = lease_from(now) if state == "running" else None
        if result is not None:
            values["result"] = result
        async with self._db.engine.begin() as conn:
            changed = await conn.execute(
                update(approvals)
                .where(approvals.c.id == key, approvals.c.state.in_(allowed_from))
                .values(values)
            )
            current = await _load(conn, key)
        if current is None:
            raise KeyError(approval_id)
        if changed.rowcount != 1:
            raise ApprovalStateError(f"approval {key} is {current.state}, not {allowed_from}")
        return current

    async def renew(self, approval_id: str, until: datetime) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(approvals)
                .where(approvals.c.id == normalise_id(approval_id), approvals.c.state == "running")
                .values(lease_until=until)
            )

    async def interrupted(self, now: datetime) -> list[Approval]:
        """Running approvals whose lease ran out (their process is gone), now marked failed."""
        stale = (
            select(approvals.c.id)
            .where(approvals.c.state == "running", approvals.c.lease_until < now)
            .with_for_update(skip_locked=True)
        )
        note = {"text": "interrupted: the bot stopped while this ran; check before retrying"}
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                update(approvals)
                .where(approvals.c.id.in_(stale), approvals.c.state == "running")
                .values(
                    {
                        **_state_values("failed", now, decided=False),
                        "result": note,
                        "lease_until": None,
                    }
                )
                .returning(approvals.c.id)
            )
            ids = [row[0] for row in result]
            if not ids:
                return []
            return await _load_many(conn, select(approvals).where(approvals.c.id.in_(ids)))

    async def set_activity_id(self, approval_id: str, activity_id: str) -> None:
        """Remember the message id of the posted approval card."""
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(approvals)
                .where(approvals.c.id == normalise_id(approval_id))
                .values(activity_id=activity_id, version=approvals.c.version + 1)
            )

    async def open_for(self, requester_id: str) -> list[Approval]:
        """Pending approvals this person asked for, newest first."""
        query = _pending().where(approvals.c.requester_id == requester_id)
        async with self._db.engine.connect() as conn:
            return await _load_many(conn, query)

    async def open_with_roles(self, roles: Collection[str]) -> list[Approval]:
        """Pending approvals that a holder of any of `roles` may approve, newest first."""
        wanted = set(roles)
        if not wanted:
            return []
        async with self._db.engine.connect() as conn:
            pending = await _load_many(conn, _pending())
        # Role lists are JSON; pending approvals are few, so the overlap is checked here.
        return [a for a in pending if wanted.intersection(a.approver_roles)]


def _pending() -> Select[Any]:
    return (
        select(approvals)
        .where(approvals.c.state == "pending")
        .order_by(approvals.c.created_at.desc(), approvals.c.id.desc())
    )


def _refusal(current: Approval, voter_id: str, now: datetime) -> Outcome | None:
    """Why this vote cannot count, checked in order; None when it counts."""
    if current.state != "pending":
        return "closed"
    if current.expires_at <= now:
        return "expired"
    if voter_id == current.requester_id:
        return "self"
    if any(v.voter_id == voter_id for v in current.votes):
        return "duplicate"
    return None


async def _count(conn: AsyncConnection, current: Approval, vote: Vote, now: datetime) -> Outcome:
    """Decide after a recorded vote: one deny closes it; the quorum-th approval approves it."""
    if vote.decision == "deny":
        await _set_state(conn, current.id, "denied", now)
        return "denied"
    if current.approvals + 1 >= current.quorum:
        await _set_state(conn, current.id, "approved", now)
        return "approved"
    return "recorded"


def _state_values(state: str, now: datetime, *, decided: bool = True) -> dict[str, Any]:
    values: dict[str, Any] = {
        "state": state,
        "updated_at": now,
        "version": approvals.c.version + 1,
    }
    if decided:
        values["decided_at"] = now
    return values


async def _set_state(conn: AsyncConnection, key: str, state: str, now: datetime) -> None:
    """Leave "pending" for `state` (the caller holds the row lock)."""
    await conn.execute(
        update(approvals).where(approvals.c.id == key).values(_state_values(state, now))
    )


async def _lock_and_load(conn: AsyncConnection, key: str) -> Approval | None:
    """Take the row lock (a write first, so SQLite takes its write lock too), then read."""
    bumped = await conn.execute(
        update(approvals).where(approvals.c.id == key).values(version=approvals.c.version + 1)
    )
    return await _load(conn, key) if bumped.rowcount == 1 else None


async def _insert_vote(conn: AsyncConnection, key: str, vote: Vote) -> None:
    await conn.execute(approval_votes.insert(), [{"approval_id": key, **vars(vote)}])


async def _load(conn: AsyncConnection, key: str) -> Approval | None:
    found = await _load_many(conn, select(approvals).where(approvals.c.id == key))
    return found[0] if found else None


async def _load_many(conn: AsyncConnection, query: Select[Any]) -> list[Approval]:
    rows = list((await conn.execute(query)).mappings())
    if not rows:
        return []
    votes = await _votes(conn, [str(row["id"]) for row in rows])
    return [_approval(row, votes.get(str(row["id"]), [])) for row in rows]


async def _votes(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, list[Vote]]:
    result = await conn.execute(
        select(approval_votes)
        .where(approval_votes.c.approval_id.in_(ids))
        .order_by(approval_votes.c.seq)
    )
    found: dict[str, list[Vote]] = {}
    for row in result.mappings():
        vote = Vote(row["voter_id"], row["voter_name"], row["decision"], row["reason"], row["at"])
        found.setdefault(row["approval_id"], []).append(vote)
    return found


def _row(approval: Approval) -> dict[str, Any]:
    row = {name: getattr(approval, name) for name in _STORED}
    row["approver_roles"] = list(approval.approver_roles)
    row["version"] = 1
    return row


def _approval(row: RowMapping, votes: list[Vote]) -> Approval:
    values = {name: row[name] for name in _STORED}
    values["approver_roles"] = tuple(values["approver_roles"])
    return Approval(**values, votes=tuple(votes))
