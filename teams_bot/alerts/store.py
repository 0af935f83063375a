"""Alerts in the database: ingest (deduplicated, committed with its outbox rows), group state,
acknowledgements, silences, and subscriptions.

`ingest` is one transaction: the notification's id (source + groupKey + content hash) is
inserted first, so a retried delivery finds it and changes nothing; then the group's state is
merged and one outbox row per subscribed conversation is enqueued (coalesced per card).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from teams_bot.alerts.config import AlertSource
from teams_bot.alerts.models import Notification
from teams_bot.alerts.state import (
    AlertGroup,
    from_json,
    group_id,
    merge,
    notification_id,
    to_json,
)
from teams_bot.alerts.subscriptions import AlertFilter, Subscription
from teams_bot.alerts.tables import alert_groups, alert_notifications, alert_subscriptions
from teams_bot.outbox import NewDelivery, OutboxStore
from teams_bot.outbox.tables import outbox
from teams_bot.outbox.writes import writing
from teams_bot.storage.db import Database
from teams_bot.storage.upsert import insert_for

log = logging.getLogger(__name__)
g, s = alert_groups.c, alert_subscriptions.c
ORIGIN = "alerts-subscription:"
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Ingested:
    duplicate: bool
    group: AlertGroup | None
    deliveries: int = 0


def payload_for(group: AlertGroup) -> dict[str, Any]:
    """What an alert card's outbox row carries: a reference; the sender draws the newest state."""
    return {"kind": "alert", "group_id": group.id, "episode": group.episode}


class AlertStore:
    def __init__(
        self,
        db: Database,
        outbox_store: OutboxStore,
        sources: Mapping[str, AlertSource] | None = None,
    ) -> None:
        self._db = db
        self._outbox = outbox_store
        self._sources = sources or {}

    async def ingest(self, notification: Notification, now: datetime) -> Ingested:
        async with writing(self._db), self._db.engine.begin() as conn:
            if not await self._first_time(conn, notification, now):
                return Ingested(duplicate=True, group=None)
            previous = await self._locked_group(conn, notification, now)
            group = merge(previous, notification, now)
            await conn.execute(update(alert_groups).where(g.id == group.id).values(_row(group)))
            count = await self._enqueue_cards(conn, group, now)
            return Ingested(duplicate=False, group=group, deliveries=count)

    async def group(self, group_id: str) -> AlertGroup | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(alert_groups).where(g.id == group_id))).mappings()
            found = row.first()
            return _group(found) if found else None

    async def firing_for(self, conversation_id: str, tenant_id: str) -> list[AlertGroup]:
        """Firing groups that this conversation's active subscriptions receive."""
        subs = [
            x for x in await self.subscriptions(conversation_id, tenant_id) if x.state == "active"
        ]
        async with self._db.engine.connect() as conn:
            rows = await conn.execute(
                select(alert_groups).where(g.status == "firing").order_by(g.first_seen_at)
            )
            groups = [_group(r) for r in rows.mappings()]
        return [grp for grp in groups if any(self._receives(x, grp.notification) for x in subs)]

    async def acknowledge(
        self, group_id: str, by: str, name: str, now: datetime
    ) -> AlertGroup | None:
        """Record the first acknowledgement and refresh the card everywhere; None if the
        group is unknown or was already acknowledged (the current state stays)."""
        return await self._change(
            group_id,
            now,
            lambda grp: (
                None
                if grp.acked_by
                else replace(grp, acked_by=by, acked_by_name=name, acked_at=now)
            ),
        )

    async def set_silence(
        self, group_id: str, fingerprint: str, silence_id: str, now: datetime
    ) -> AlertGroup | None:
        """Note (or with "" forget) the bot's silence of one alert, and refresh the card."""

        def change(grp: AlertGroup) -> AlertGroup | None:
            silences = {k: v for k, v in grp.silences.items() if k != fingerprint}
            if silence_id:
                silences[fingerprint] = silence_id
            return replace(grp, silences=silences)

        return await self._change(group_id, now, change)

    async def subscribe(
        self,
        tenant_id: str,
        conversation_id: str,
        alert_filter: AlertFilter,
        by: str,
        name: str,
        now: datetime,
    ) -> Subscription:
        sub = Subscription(
            id="".join(secrets.choice(_ID_ALPHABET) for _ in range(6)),
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            filter=alert_filter,
            created_by=by,
            created_by_name=name,
            created_at=now,
        )
        async with writing(self._db), self._db.engine.begin() as conn:
            await conn.execute(
                alert_subscriptions.insert().values(
                    id=sub.id,
                    tenant_id=tenant_id,
                    conversation_id=conversation_id,
                    source=alert_filter.source,
                    min_severity=alert_filter.min_severity,
                    labels=alert_filter.labels,
                    created_by=by,
                    created_by_name=name,
                    created_at=now,
                    state="active",
                    disabled_reason="",
                    disabled_at=None,
                )
            )
        return sub

    async def unsubscribe(self, sub_id: str, tenant_id: str, conversation_id: str) -> bool:
        """Remove a subscription of this conversation (ids of others are not found)."""
        async with writing(self._db), self._db.engine.begin() as conn:
            result = await conn.execute(
                alert_subscriptions.delete().where(
                    s.id == sub_id.upper(),
                    s.tenant_id == tenant_id,
                    s.conversation_id == conversation_id,
                )
            )
            return bool(result.rowcount)

    async def subscriptions(self, conversation_id: str, tenant_id: str) -> list[Subscription]:
        stmt = (
            select(alert_subscriptions)
            .where(s.conversation_id == conversation_id, s.tenant_id == tenant_id)
            .order_by(s.created_at, s.id)
        )
        async with self._db.engine.connect() as conn:
            return [_subscription(r) for r in (await conn.execute(stmt)).mappings()]

    async def disable_conversation(
        self, conversation_id: str, reason: str, now: datetime
    ) -> list[str]:
        """The bot was removed there: its active subscriptions stop (ids returned, to audit)."""
        async with writing(self._db), self._db.engine.begin() as conn:
            result = await conn.execute(
                update(alert_subscriptions)
                .where(s.conversation_id == conversation_id, s.state == "active")
                .values(state="disabled", disabled_reason=reason[:500], disabled_at=now)
                .returning(s.id)
            )
            ids = sorted(row[0] for row in result)
        if ids:
            log.warning("alert subscriptions %s disabled: %s", ", ".join(ids), reason)
        return ids

    async def prune(self, before: datetime) -> int:
        """Forget notification ids received before `before` (dedupe only needs recent ones;
        Alertmanager retries within minutes). Group state is kept: it numbers the episodes."""
        async with writing(self._db), self._db.engine.begin() as conn:
            result = await conn.execute(
                alert_notifications.delete().where(alert_notifications.c.received_at < before)
            )
            return int(result.rowcount)

    async def conversations_with(self, group: AlertGroup) -> list[tuple[str, str]]:
        """(conversation, tenant) pairs that have (or are getting) this group's card."""
        stmt = select(outbox.c.conversation_id, outbox.c.tenant_id).distinct().where(
            outbox.c.coalesce_key == group.coalesce_key, outbox.c.state != "disabled"
        )
        async with self._db.engine.connect() as conn:
            return sorted((str(a), str(b)) for a, b in await conn.execute(stmt))

    async def _first_time(self, conn: AsyncConnection, n: Notification, now: datetime) -> bool:
        stmt = insert_for(self._db.dialect, alert_notifications).values(
            id=notification_id(n),
            source=n.source,
            group_id=group_id(n.source, n.group_key),
            received_at=now,
        )
        result = await conn.execute(
            stmt.on_conflict_do_nothing().returning(alert_notifications.c.id)
        )
        return result.first() is not None

    async def _locked_group(
        self, conn: AsyncConnection, n: Notification, now: datetime
    ) -> AlertGroup | None:
        """The group's row, locked until commit (a new group gets a placeholder row first)."""
        skeleton = _row(merge(None, n, now))
        stmt = insert_for(self._db.dialect, alert_groups).values({**skeleton, "status": "new"})
        await conn.execute(stmt.on_conflict_do_nothing())
        row = (
            (
                await conn.execute(
                    select(alert_groups).where(g.id == skeleton["id"]).with_for_update()
                )
            )
            .mappings()
            .one()
        )
        return None if row["status"] == "new" else _group(row)

    async def _enqueue_cards(self, conn: AsyncConnection, group: AlertGroup, now: datetime) -> int:
        targets = {
            (x.conversation_id, x.tenant_id): x.id
            for x in await self._matching(conn, group.notification)
        }
        carded = await conn.execute(
            select(outbox.c.conversation_id, outbox.c.tenant_id, outbox.c.origin).where(
                outbox.c.coalesce_key == group.coalesce_key, outbox.c.state != "disabled"
            )
        )
        for conversation_id, tenant_id, origin in carded:
            targets.setdefault((conversation_id, tenant_id), origin.removeprefix(ORIGIN))
        for (conversation_id, tenant_id), sub_id in sorted(targets.items()):
            await self._outbox.enqueue_in(
                conn,
                NewDelivery(
                    conversation_id,
                    tenant_id,
                    payload_for(group),
                    kind="update",
                    coalesce_key=group.coalesce_key,
                    origin=f"{ORIGIN}{sub_id}",
                ),
                now,
            )
        return len(targets)

    async def _matching(self, conn: AsyncConnection, n: Notification) -> list[Subscription]:
        stmt = select(alert_subscriptions).where(s.state == "active", s.source.in_(("", n.source)))
        subs = [_subscription(r) for r in (await conn.execute(stmt)).mappings()]
        return [x for x in subs if self._receives(x, n)]

    def _receives(self, sub: Subscription, n: Notification) -> bool:
        source = self._sources.get(n.source)
        if source is not None and source.tenant_id and source.tenant_id != sub.tenant_id:
            return False
        return sub.filter.matches(n)

    async def _change(self, group_id: str, now: datetime, change: Any) -> AlertGroup | None:
        async with writing(self._db), self._db.engine.begin() as conn:
            row = (
                (await conn.execute(select(alert_groups).where(g.id == group_id).with_for_update()))
                .mappings()
                .first()
            )
            if row is None or row["status"] == "new":
                return None
            changed = change(_group(row))
            if changed is None:
                return None
            changed = replace(changed, updated_at=now)
            await conn.execute(update(alert_groups).where(g.id == group_id).values(_row(changed)))
            await self._enqueue_cards(conn, changed, now)
            return changed  # type: ignore[no-any-return]


def _row(group: AlertGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "source": group.source,
        "group_key": group.group_key,
        "status": group.status,
        "severity": group.severity,
        "data": {"notification": to_json(group.notification), "episode": group.episode},
        "first_seen_at": group.first_seen_at,
        "updated_at": group.updated_at,
        "resolved_at": group.resolved_at,
        "acked_by": group.acked_by,
        "acked_by_name": group.acked_by_name,
        "acked_at": group.acked_at,
        "silences": group.silences,
    }


def _group(row: Any) -> AlertGroup:
    data = row["data"]
    return AlertGroup(
        id=row["id"],
        source=row["source"],
        group_key=row["group_key"],
        status=row["status"],
        severity=row["severity"],
        notification=from_json(data["notification"]),
        first_seen_at=row["first_seen_at"],
        updated_at=row["updated_at"],
        resolved_at=row["resolved_at"],
        acked_by=row["acked_by"],
        acked_by_name=row["acked_by_name"],
        acked_at=row["acked_at"],
        silences=dict(row["silences"] or {}),
        episode=int(data.get("episode", 1)),
    )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row["id"],
        tenant_id=row["tenant_id"],
        conversation_id=row["conversation_id"],
        filter=AlertFilter(
            source=row["source"], min_severity=row["min_severity"], labels=dict(row["labels"] or {})
        ),
        created_by=row["created_by"],
        created_by_name=row["created_by_name"],
        created_at=row["created_at"],
        state=row["state"],
        disabled_reason=row["disabled_reason"],
    )
