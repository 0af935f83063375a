"""Cards and their actions in the database, with atomic single-use claims.

A claim is one conditional UPDATE (`state = 'open' AND expires_at > now`), so two presses at the
same moment, on one replica or two sharing PostgreSQL, can never both win.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from teams_bot.actions.tables import card_actions, cards
from teams_bot.leases import lease_from
from teams_bot.storage.db import Database

TAKEN = ("claimed", "done", "failed")


class CardConflictError(Exception):
    """A card kept changing under us; the update was not applied."""


@dataclass(frozen=True)
class CardRecord:
    id: str
    kind: str
    data: dict[str, Any]
    tenant_id: str
    conversation_id: str
    created_at: datetime
    updated_at: datetime
    version: int = 1
    activity_id: str = ""


@dataclass(frozen=True)
class ActionRecord:
    id: str
    card_id: str
    verb: str
    permission: str
    command: str
    arguments: dict[str, Any]
    tenant_id: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    state: str = "open"
    claimed_by: str = ""
    claimed_by_name: str = ""
    claimed_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    lease_until: datetime | None = None


def _action(row: RowMapping) -> ActionRecord:
    return ActionRecord(**dict(row))


def _card(row: RowMapping) -> CardRecord:
    return CardRecord(**dict(row))


class ActionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, card: CardRecord, actions: list[ActionRecord]) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(cards.insert(), [vars(card)])
            if actions:
                await conn.execute(card_actions.insert(), [vars(a) for a in actions])

    async def get(self, action_id: str) -> ActionRecord | None:
        async with self._db.engine.connect() as conn:
            return await self._get(conn, action_id)

    async def card(self, card_id: str) -> CardRecord | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(cards).where(cards.c.id == card_id))).mappings()
            found = row.first()
            return _card(found) if found else None

    async def actions_of(self, card_id: str) -> list[ActionRecord]:
        async with self._db.engine.connect() as conn:
            result = await conn.execute(
                select(card_actions).where(card_actions.c.card_id == card_id)
            )
            return [_action(r) for r in result.mappings()]

    async def claim(self, action_id: str, by: str, name: str, now: datetime) -> ActionRecord | None:
        """Take an open, unexpired action for `by`; None when it was not ours to take."""
        async with self._db.engine.begin() as conn:
            if not await self._take(conn, action_id, by, name, now):
                return None
            return await self._get(conn, action_id)

    async def claim_group(
        self, action_id: str, member_verb: str, by: str, name: str, now: datetime
    ) -> tuple[ActionRecord, list[str]] | None:
        """Take a group action (e.g. reboot all) and the open member actions of its card.

        Returns the targets now ours: every target of the group action except those a member
        action already took individually.
        """
        async with self._db.engine.begin() as conn:
            if not await self._take(conn, action_id, by, name, now):
                return None
            group = await self._get(conn, action_id)
            assert group is not None
            members = and_(
                card_actions.c.card_id == group.card_id, card_actions.c.verb == member_verb
            )
            await conn.execute(
                update(card_actions)
                .where(members, card_actions.c.state == "open")
                .values(state="superseded", claimed_by=by, claimed_by_name=name, claimed_at=now)
            )
            taken = await conn.execute(
                select(card_actions.c.arguments).where(members, card_actions.c.state.in_(TAKEN))
            )
            already = {str(args.get("target", "")) for (args,) in taken}
            targets = [t for t in group.arguments.get("targets", []) if t not in already]
            return group, targets

    async def add_actions(self, actions: list[ActionRecord]) -> None:
        """More buttons for an existing card (e.g. a retry after an interruption)."""
        if actions:
            async with self._db.engine.begin() as conn:
                await conn.execute(card_actions.insert(), [vars(a) for a in actions])

    async def finish(
        self, action_id: str, state: str, result: dict[str, Any], now: datetime
    ) -> bool:
        """Record the end of claimed work; False when it had already ended (states only move
        forward: a job reported interrupted keeps that state, its late result is kept beside)."""
        async with self._db.engine.begin() as conn:
            moved = await conn.execute(
                update(card_actions)
                .where(card_actions.c.id == action_id, card_actions.c.state == "claimed")
                .values(state=state, result=result, finished_at=now)
            )
            if moved.rowcount == 1:
                return True
            current = await self._get(conn, action_id)
            late = {**((current.result if current else None) or {}), "late_result": result}
            await conn.execute(
                update(card_actions).where(card_actions.c.id == action_id).values(result=late)
            )
            return False

    async def unclaim(self, action_id: str, by: str) -> None:
        """Give back a claim that could not start (its target was busy): the button works again."""
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(card_actions)
                .where(
                    card_actions.c.id == action_id,
                    card_actions.c.state == "claimed",
                    card_actions.c.claimed_by == by,
                )
                .values(
                    state="open",
                    claimed_by="",
                    claimed_by_name="",
                    claimed_at=None,
                    lease_until=None,
                )
            )

    async def renew(self, action_id: str, until: datetime) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(card_actions)
                .where(card_actions.c.id == action_id, card_actions.c.state == "claimed")
                .values(lease_until=until)
            )

    async def interrupted(self, now: datetime) -> list[ActionRecord]:
        """Claimed actions whose lease ran out (their process is gone), now marked failed.

        Each is returned to exactly one caller, whichever replica scans first.
        """
        stale = (
            select(card_actions.c.id)
            .where(card_actions.c.state == "claimed", card_actions.c.lease_until < now)
            .with_for_update(skip_locked=True)
        )
        async with self._db.engine.begin() as conn:
            result = await conn.execute(
                update(card_actions)
                .where(card_actions.c.id.in_(stale), card_actions.c.state == "claimed")
                .values(state="failed", finished_at=now, result={"interrupted": True})
                .returning(card_actions.c.id)
            )
            ids = [row[0] for row in result]
            if not ids:
                return []
            rows = await conn.execute(select(card_actions).where(card_actions.c.id.in_(ids)))
            return [_action(r) for r in rows.mappings()]

    async def set_activity_id(self, card_id: str, activity_id: str) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(cards).where(cards.c.id == card_id).values(activity_id=activity_id)
            )

    async def update_card(
        self, card_id: str, change: Callable[[dict[str, Any]], dict[str, Any]], now: datetime
    ) -> CardRecord:
        """Apply `change` to the card's data with optimistic concurrency (retried on conflict)."""
        for _ in range(20):
            current = await self.card(card_id)
            if current is None:
                raise KeyError(card_id)
            data = change(dict(current.data))
            async with self._db.engine.begin() as conn:
                result = await conn.execute(
                    update(cards)
                    .where(cards.c.id == card_id, cards.c.version == current.version)
                    .values(data=data, version=current.version + 1, updated_at=now)
                )
            if result.rowcount == 1:
                return replace(current, data=data, version=current.version + 1, updated_at=now)
        raise CardConflictError(card_id)

    async def _take(
        self, conn: AsyncConnection, action_id: str, by: str, name: str, now: datetime
    ) -> bool:
        result = await conn.execute(
            update(card_actions)
            .where(
                card_actions.c.id == action_id,
                card_actions.c.state == "open",
                card_actions.c.expires_at > now,
            )
            .values(
                state="claimed",
                claimed_by=by,
                claimed_by_name=name,
                claimed_at=now,
                lease_until=lease_from(now),
            )
        )
        return bool(result.rowcount == 1)

    async def _get(self, conn: AsyncConnection, action_id: str) -> ActionRecord | None:
        result = await conn.execute(select(card_actions).where(card_actions.c.id == action_id))
        row = result.mappings().first()
        return _action(row) if row else None
