"""The outbox in the database: enqueue (coalescing), claim with a lease, and outcomes.

Claims are one conditional UPDATE over rows selected `FOR UPDATE SKIP LOCKED` (PostgreSQL;
SQLite has a single writer), so two replicas never send the same row. A row whose worker
died keeps `state = 'sending'` until its lease runs out, then any worker claims it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from teams_bot.outbox.models import (
    DISABLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SUPERSEDED,
    Delivery,
    NewDelivery,
)
from teams_bot.outbox.tables import PENDING_KEYED, outbox
from teams_bot.outbox.writes import writing
from teams_bot.storage.db import Database
from teams_bot.storage.upsert import insert_for

c = outbox.c


def _delivery(row: Any) -> Delivery:
    return Delivery(**dict(row))


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Due pending rows and rows whose sender's lease ran out, that do not wait for an
    earlier row of the same message that is being sent right now."""
    earlier = outbox.alias("earlier")
    busy = exists().where(
        earlier.c.conversation_id == c.conversation_id,
        earlier.c.coalesce_key == c.coalesce_key,
        earlier.c.state == SENDING,
        earlier.c.lease_until >= now,
        earlier.c.id != c.id,
    )
    ready = or_(
        and_(c.state == PENDING, c.next_try_at <= now),
        and_(c.state == SENDING, c.lease_until < now),
    )
    return and_(ready, or_(c.coalesce_key == "", ~busy))


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, item: NewDelivery, now: datetime) -> int:
        """Store `item` and commit before returning; the id of the row that will carry it."""
        async with writing(self._db), self._db.engine.begin() as conn:
            return await self.enqueue_in(conn, item, now)

    async def enqueue_in(self, conn: AsyncConnection, item: NewDelivery, now: datetime) -> int:
        """Like enqueue, inside the caller's transaction (committed with the caller's work)."""
        values = _new_row(item, now)
        if not item.coalesce_key:
            result = await conn.execute(insert(outbox).values(values).returning(c.id))
            return int(result.scalar_one())
        stmt = insert_for(self._db.dialect, outbox).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.conversation_id, c.coalesce_key],
            index_where=PENDING_KEYED,
            set_={"payload": stmt.excluded.payload, "updated_at": now},
        )
        return int((await conn.execute(stmt.returning(c.id))).scalar_one())

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Rows a worker could claim now, oldest first (not claimed by this call)."""
        stmt = select(outbox).where(_claimable(now)).order_by(c.next_try_at, c.id).limit(limit)
        async with self._db.engine.connect() as conn:
            return [_delivery(r) for r in (await conn.execute(stmt)).mappings()]

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending row becomes due (None when nothing is pending)."""
        stmt = select(func.min(c.next_try_at)).where(c.state == PENDING)
        async with self._db.engine.connect() as conn:
            found: datetime | None = (await conn.execute(stmt)).scalar()
            return found

    async def claim(
        self, ids: Sequence[int], worker: str, now: datetime, lease: timedelta
    ) -> list[Delivery]:
        """Take the rows of `ids` that are still claimable; the ones now ours, with the
        message id each must update ("" = post a new message)."""
        if not ids:
            return []
        mine = (
            select(c.id)
            .where(c.id.in_(list(ids)), _claimable(now))
            .with_for_update(skip_locked=True)
        )
        async with writing(self._db), self._db.engine.begin() as conn:
            result = await conn.execute(
                update(outbox)
                .where(c.id.in_(mine))
                .values(
                    state=SENDING,
                    lease_until=now + lease,
                    claimed_by=worker,
                    attempts=c.attempts + 1,
                    updated_at=now,
                )
                .returning(*outbox.c)
            )
            taken = sorted((_delivery(row) for row in result.mappings()), key=lambda d: d.id)
            return await self._targets(conn, taken)

    async def _targets(self, conn: AsyncConnection, taken: list[Delivery]) -> list[Delivery]:
        """Fill in, for each keyed update, the message its key was last posted as."""
        keyed = [d for d in taken if d.kind == "update" and d.coalesce_key]
        if not keyed:
            return taken
        pairs = {(d.conversation_id, d.coalesce_key) for d in keyed}
        posted = await conn.execute(
            select(c.conversation_id, c.coalesce_key, c.message_id)
            .where(
                tuple_(c.conversation_id, c.coalesce_key).in_(sorted(pairs)),
                c.message_id != "",
                c.id.not_in([d.id for d in keyed]),
            )
            .order_by(c.id)
        )
        latest = {(conv, key): message_id for conv, key, message_id in posted}
        result = []
        for delivery in taken:
            message_id = latest.get((delivery.conversation_id, delivery.coalesce_key), "")
            if delivery in keyed and message_id:
                delivery = replace(delivery, message_id=message_id)
                await conn.execute(
                    update(outbox).where(c.id == delivery.id).values(message_id=message_id)
                )
            result.append(delivery)
        return result

    async def mark_sent(self, delivery: Delivery, message_id: str, now: datetime) -> None:
        await self._finish(
            delivery, now, state=SENT, message_id=message_id or delivery.message_id, last_error=""
        )

    async def fail(self, delivery: Delivery, error: str, now: datetime) -> None:
        await self._finish(delivery, now, state=FAILED, last_error=error[:2000])

    async def retry_at(self, delivery: Delivery, at: datetime, error: str, now: datetime) -> None:
        """Back to pending until `at`. If a newer pending row of the same message exists, this
        one is superseded by it (the newest state wins)."""
        values = {
            "state": PENDING,
            "next_try_at": at,
            "lease_until": None,
            "last_error": error[:2000],
            "updated_at": now,
        }
        async with writing(self._db), self._db.engine.begin() as conn:
            try:
                if self._db.dialect == "postgresql":
                    async with conn.begin_nested():
                        await self._set(conn, delivery, values)
                else:  # SQLite: one writer, the conflict cannot appear between check and write
                    await self._set(conn, delivery, values)
            except IntegrityError:
                await self._set(conn, delivery, {**values, "state": SUPERSEDED})

    async def disable_conversation(self, conversation_id: str, error: str, now: datetime) -> int:
        """The bot may no longer post there: every open row of the conversation is disabled."""
        async with writing(self._db), self._db.engine.begin() as conn:
            result = await conn.execute(
                update(outbox)
                .where(c.conversation_id == conversation_id, c.state.in_((PENDING, SENDING)))
                .values(state=DISABLED, last_error=error[:2000], lease_until=None, updated_at=now)
            )
            return int(result.rowcount)

    async def recent_sends(self, since: datetime) -> list[tuple[str, str, datetime]]:
        """(conversation, tenant, when) of rows sent or being sent since `since`, oldest first:
        a worker starting up counts them against the limits (a restart does not reset them)."""
        stmt = (
            select(c.conversation_id, c.tenant_id, c.updated_at)
            .where(c.state.in_((SENT, SENDING)), c.updated_at >= since)
            .order_by(c.updated_at)
        )
        async with self._db.engine.connect() as conn:
            return [(str(a), str(b), w) for a, b, w in await conn.execute(stmt)]

    async def message_id(self, conversation_id: str, coalesce_key: str) -> str:
        """The Teams message currently carrying `coalesce_key` there ("" if not posted yet)."""
        stmt = (
            select(c.message_id)
            .where(
                c.conversation_id == conversation_id,
                c.coalesce_key == coalesce_key,
                c.message_id != "",
            )
            .order_by(c.id.desc())
            .limit(1)
        )
        async with self._db.engine.connect() as conn:
            return str((await conn.execute(stmt)).scalar() or "")

    async def failed(self, limit: int = 50) -> list[Delivery]:
        """Deliveries given up on, newest first (for `teams-bot alerts failed`)."""
        stmt = select(outbox).where(c.state == FAILED).order_by(c.id.desc()).limit(limit)
        async with self._db.engine.connect() as conn:
            return [_delivery(r) for r in (await conn.execute(stmt)).mappings()]

    async def counts(self) -> dict[str, int]:
        """Rows per state (the failed count goes into /readyz details)."""
        stmt = select(c.state, func.count()).group_by(c.state)
        async with self._db.engine.connect() as conn:
            return {str(state): int(n) for state, n in await conn.execute(stmt)}

    async def get(self, row_id: int) -> Delivery | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(outbox).where(c.id == row_id))).mappings().first()
            return _delivery(row) if row else None

    async def prune(self, before: datetime) -> int:
        """Delete finished rows older than `before`, keeping the newest posted row of each
        message (its id is what later updates edit)."""
        newer = outbox.alias("newer")
        superseded_post = exists().where(
            newer.c.conversation_id == c.conversation_id,
            newer.c.coalesce_key == c.coalesce_key,
            newer.c.message_id != "",
            newer.c.id > c.id,
        )
        done = c.state.in_((SENT, SUPERSEDED, FAILED, DISABLED))
        keep = and_(c.state == SENT, c.coalesce_key != "", ~superseded_post)
        async with writing(self._db), self._db.engine.begin() as conn:
            result = await conn.execute(outbox.delete().where(done, c.updated_at < before, ~keep))
            return int(result.rowcount)

    async def _finish(self, delivery: Delivery, now: datetime, **values: Any) -> None:
        async with writing(self._db), self._db.engine.begin() as conn:
            await self._set(conn, delivery, {**values, "lease_until": None, "updated_at": now})

    async def _set(self, conn: AsyncConnection, delivery: Delivery, values: dict[str, Any]) -> None:
        """Write `values` if the row is still ours (a lease that ran out may have moved on)."""
        await conn.execute(
            update(outbox)
            .where(c.id == delivery.id, c.state == SENDING, c.claimed_by == delivery.claimed_by)
            .values(**values)
        )


def _new_row(item: NewDelivery, now: datetime) -> dict[str, Any]:
    return {
        "conversation_id": item.conversation_id,
        "tenant_id": item.tenant_id,
        "kind": item.kind,
        "coalesce_key": item.coalesce_key,
        "origin": item.origin,
        "payload": item.payload,
        "message_id": "",
        "attempts": 0,
        "next_try_at": now,
        "state": PENDING,
        "enqueued_at": now,
        "updated_at": now,
        "lease_until": None,
        "claimed_by": "",
        "last_error": "",
    }
