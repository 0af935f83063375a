"""Alert state in the database (both engines): dedupe of retried notifications, one card per
group and conversation (coalesced in the outbox), subscriptions and tenants, resolve, new
episodes, acknowledgements, silences, and disabling after the bot was removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from teams_bot.alerts import AlertStore, parse_filter
from teams_bot.alerts.config import AlertSource
from teams_bot.alerts.parse import parse_alertmanager
from teams_bot.outbox import OutboxStore
from teams_bot.storage.db import Database
from tests.alertmanager.payloads import am_alert, am_payload

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
SOURCES = {"prod": AlertSource("prod", "alertmanager", "bearer", "x" * 16),
           "t1only": AlertSource("t1only", "alertmanager", "bearer", "x" * 16, tenant_id="t1")}


def stores(db: Database) -> tuple[AlertStore, OutboxStore]:
    outbox = OutboxStore(db)
    return AlertStore(db, outbox, SOURCES), outbox


async def subscribe(store: AlertStore, conv: str, *terms: str, tenant: str = "t1"):
    return await store.subscribe(tenant, conv, parse_filter(list(terms)), "oid-ada",
                                 "Ada Lovelace", NOW)


def notification(*alerts, source: str = "prod", **kw):
    return parse_alertmanager(source, am_payload(*alerts, **kw))


async def test_a_retried_notification_changes_nothing(db: Database) -> None:
    store, outbox = stores(db)
    await subscribe(store, "chan-1")
    first = await store.ingest(notification(), NOW)
    again = await store.ingest(notification(), NOW + timedelta(seconds=5))
    assert (first.duplicate, first.deliveries, again.duplicate) == (False, 1, True)
    assert len(await outbox.due(NOW + timedelta(minutes=1), 10)) == 1


async def test_one_card_per_group_and_conversation_updates_coalesce(db: Database) -> None:
    store, outbox = stores(db)
    await subscribe(store, "chan-1")
    await subscribe(store, "chan-1", "severity>=warning")  # same channel twice: one card
    await subscribe(store, "chan-2", "team=platform")
    await subscribe(store, "chan-3", "team=web")  # not this group
    await store.ingest(notification(am_alert("a")), NOW)
    result = await store.ingest(notification(am_alert("a"), am_alert("b")), NOW)
    assert result.deliveries == 2
    due = await outbox.due(NOW, 10)
    assert sorted(d.conversation_id for d in due) == ["chan-1", "chan-2"]
    group = result.group
    assert group is not None and {d.coalesce_key for d in due} == {group.coalesce_key}
    assert all(d.payload == {"kind": "alert", "group_id": group.id, "episode": 1} for d in due)
    assert [a.fingerprint for a in group.notification.alerts] == ["fp-a", "fp-b"]
    assert await store.conversations_with(group) == [("chan-1", "t1"), ("chan-2", "t1")]


async def test_another_tenants_subscription_never_receives_a_tenant_bound_source(
    db: Database,
) -> None:
    store, outbox = stores(db)
    await subscribe(store, "chan-t1", tenant="t1")
    await subscribe(store, "chan-t2", tenant="t2")
    await store.ingest(notification(source="t1only"), NOW)
    assert [d.conversation_id for d in await outbox.due(NOW, 10)] == ["chan-t1"]
    assert [g.source for g in await store.firing_for("chan-t2", "t2")] == []
    assert [g.source for g in await store.firing_for("chan-t1", "t1")] == ["t1only"]


async def test_resolving_updates_the_same_card_then_firing_again_starts_a_new_one(
    db: Database,
) -> None:
    store, outbox = stores(db)
    await subscribe(store, "chan-1")
    fired = await store.ingest(notification(am_alert("a"), am_alert("b")), NOW)
    [post] = await outbox.claim([d.id for d in await outbox.due(NOW, 10)], "w", NOW, LEASE)
    await outbox.mark_sent(post, "msg-1", NOW)
    later = NOW + timedelta(minutes=20)
    resolved = await store.ingest(notification(am_alert("a", status="resolved")), later)
    group = resolved.group
    assert group is not None and fired.group is not None
    assert (group.status, group.coalesce_key) == ("resolved", fired.group.coalesce_key)
    assert [a.status for a in group.notification.alerts] == ["resolved", "resolved"]
    assert group.notification.alerts[0].ends_at == datetime(2026, 11, 30, 4, 10, tzinfo=UTC)
    assert group.resolved_at == later  # b, no longer mentioned, resolved when the group did
    [update] = await outbox.claim([d.id for d in await outbox.due(later, 10)], "w", later, LEASE)
    assert update.message_id == "msg-1"  # the same message, edited
    await outbox.mark_sent(update, "", later)
    again = await store.ingest(notification(am_alert("a")), later + timedelta(hours=1))
    assert again.group is not None and again.group.episode == 2
    [fresh] = await outbox.due(later + timedelta(hours=1), 10)
    [claimed] = await outbox.claim([fresh.id], "w", later + timedelta(hours=1), LEASE)
    assert claimed.message_id == "" and claimed.coalesce_key.endswith(":2")  # a new card


async def test_acknowledge_once_and_silences_refresh_the_card(db: Database) -> None:
    store, outbox = stores(db)
    await subscribe(store, "chan-1")
    group = (await store.ingest(notification(), NOW)).group
    assert group is not None
    acked = await store.acknowledge(group.id, "oid-ada", "Ada Lovelace", NOW)
    assert acked is not None and (acked.acked_by_name, acked.acked_at) == ("Ada Lovelace", NOW)
    assert await store.acknowledge(group.id, "oid-bob", "Bob", NOW) is None
    silenced = await store.set_silence(group.id, "fp-aks-1", "sil-1", NOW)
    assert silenced is not None and silenced.silences == {"fp-aks-1": "sil-1"}
    cleared = await store.set_silence(group.id, "fp-aks-1", "", NOW)
    assert cleared is not None and cleared.silences == {}
    stored = await store.group(group.id)
    assert stored is not None and stored.acked_by == "oid-ada"
    assert len(await outbox.due(NOW, 10)) == 1  # every refresh coalesced into the pending card
    assert await store.acknowledge("nope", "x", "x", NOW) is None


async def test_subscriptions_list_unsubscribe_and_disable(db: Database) -> None:
    store, _ = stores(db)
    a = await subscribe(store, "chan-1", "severity>=critical")
    b = await subscribe(store, "chan-1", "team=platform")
    other = await subscribe(store, "chan-2")
    listed = await store.subscriptions("chan-1", "t1")
    assert sorted((x.id, x.created_by_name, x.filter.describe()) for x in listed) == sorted([
        (a.id, "Ada Lovelace", "severity>=critical"), (b.id, "Ada Lovelace", "team=platform")])
    assert not await store.unsubscribe(other.id, "t1", "chan-1")  # not this channel's
    assert not await store.unsubscribe(a.id, "t2", "chan-1")  # not this tenant's
    assert await store.unsubscribe(a.id.lower(), "t1", "chan-1")
    assert await store.disable_conversation("chan-1", "HTTP 403: bot removed", NOW) == [b.id]
    [gone] = await store.subscriptions("chan-1", "t1")
    assert (gone.state, gone.disabled_reason) == ("disabled", "HTTP 403: bot removed")
    await store.ingest(notification(), NOW)
    assert await store.firing_for("chan-1", "t1") == []


async def test_old_notification_ids_are_pruned_groups_kept(db: Database) -> None:
    store, _ = stores(db)
    group = (await store.ingest(notification(), NOW)).group
    assert group is not None
    assert await store.prune(NOW + timedelta(days=2)) == 1
    assert await store.group(group.id) is not None
    assert (await store.conversations_with(group)) == []  # nobody subscribed


async def test_migration_matches_the_table_definitions(db: Database) -> None:
    from sqlalchemy import inspect

    from teams_bot.alerts.tables import alert_groups, alert_notifications, alert_subscriptions
    from teams_bot.outbox.tables import outbox

    def columns(conn, name: str) -> list[str]:  # type: ignore[no-untyped-def]
        return [col["name"] for col in inspect(conn).get_columns(name)]

    async with db.engine.connect() as conn:
        for table in (outbox, alert_notifications, alert_groups, alert_subscriptions):
            found = await conn.run_sync(columns, table.name)
            assert found == [col.name for col in table.columns], table.name
