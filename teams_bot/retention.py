"""Retention: closed and expired records are pruned after TEAMS_BOT_RETENTION_DAYS (issue 9, #20).

What goes, once older than the retention age:
- card buttons (`card_actions`) that are over: done, failed, superseded or any other ended
  state, by when they ended; buttons never pressed, by when they expired. A claimed button
  (its job may still run) is never pruned here: the interrupted-work scan ends it first.
- cards (`cards`) not updated since and left without buttons;
- approvals in a final state (denied, cancelled, expired, succeeded, failed) with their votes,
  by their last change;
- `seen_activities` keys past the de-duplication window (dedup.WINDOW, much shorter).

The audit log is never pruned: it is append-only, and the database refuses deletes there.
A card pruned this way can no longer be refreshed or pressed; its buttons had long expired.

Wiring: `await prune(db, now, timedelta(days=settings.retention_days))` from the maintenance scan
(hourly is plenty); deletes run in batches, so one pass never holds long locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, and_, delete, exists, func, or_, select

from teams_bot import dedup
from teams_bot.actions.tables import card_actions, cards
from teams_bot.approvals.tables import approval_votes, approvals
from teams_bot.storage.db import Database

LIVE_ACTION_STATES = ("open", "claimed")
FINAL_APPROVAL_STATES = ("denied", "cancelled", "expired", "succeeded", "failed")
BATCH = 1000


@dataclass(frozen=True)
class Pruned:
    card_actions: int
    cards: int
    approvals: int
    seen_activities: int


async def prune(db: Database, now: datetime, max_age: timedelta) -> Pruned:
    """Delete what is over and older than `max_age`; returns how many rows of each."""
    cutoff = now - max_age
    actions = await _delete_batches(db, card_actions, card_actions.c.id, _old_actions(cutoff))
    cards_gone = await _delete_batches(db, cards, cards.c.id, _old_cards(cutoff))
    approvals_gone = await _prune_approvals(db, cutoff)
    seen = await dedup.prune(db, now)
    return Pruned(actions, cards_gone, approvals_gone, seen)


def _old_actions(cutoff: datetime) -> ColumnElement[bool]:
    c = card_actions.c
    ended_at = func.coalesce(c.finished_at, c.claimed_at, c.created_at)
    never_pressed = and_(c.state == "open", c.expires_at < cutoff)
    ended = and_(c.state.not_in(LIVE_ACTION_STATES), ended_at < cutoff)
    return or_(never_pressed, ended)


def _old_cards(cutoff: datetime) -> ColumnElement[bool]:
    has_buttons = exists().where(card_actions.c.card_id == cards.c.id)
    return and_(cards.c.updated_at < cutoff, ~has_buttons)


def _old_approvals(cutoff: datetime) -> ColumnElement[bool]:
    c = approvals.c
    changed_at = func.coalesce(c.updated_at, c.decided_at, c.created_at)
    return and_(c.state.in_(FINAL_APPROVAL_STATES), changed_at < cutoff)


async def _delete_batches(
    db: Database, table: Table, key: Column[Any], where: ColumnElement[bool]
) -> int:
    total = 0
    while True:
        batch = select(key).where(where).limit(BATCH).scalar_subquery()
        async with db.engine.begin() as conn:
            result = await conn.execute(delete(table).where(key.in_(batch)))
        total += result.rowcount
        if result.rowcount < BATCH:
            return total


async def _prune_approvals(db: Database, cutoff: datetime) -> int:
    """Votes first (no reliance on ON DELETE CASCADE), then their approvals, batch by batch."""
    total = 0
    while True:
        async with db.engine.begin() as conn:
            ids = list(
                await conn.scalars(
                    select(approvals.c.id).where(_old_approvals(cutoff)).limit(BATCH)
                )
            )
            if ids:
                await conn.execute(
                    delete(approval_votes).where(approval_votes.c.approval_id.in_(ids))
                )
                await conn.execute(delete(approvals).where(approvals.c.id.in_(ids)))
        total += len(ids)
        if len(ids) < BATCH:
            return total
