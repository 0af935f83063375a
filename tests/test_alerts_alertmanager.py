"""The real Prometheus Alertmanager end to end (both engines): alerts posted to its API v2
reach the bot's route through its webhook receiver (bearer token), land once in the store and
the outbox, the delivery worker posts the card, resolving edits the same card, and the silence
client's silence is listed by Alertmanager with exact matchers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from cards.alerts import MAX_ALERT_CARD_BYTES
from cards.size import card_size
from teams_bot.alerts import (
    AlertmanagerClient,
    AlertStore,
    alerts_handler,
    card_for,
    load_alerts,
    parse_filter,
)
from teams_bot.alerts.tables import alert_notifications
from teams_bot.outbox import Delivery, DeliveryWorker, OutboxStore, SendResult, WorkerConfig
from teams_bot.storage.db import Database
from tests.alertmanager import process
from tests.alertmanager.process import alertmanager, post_alerts
from tests.alertmanager.webapp import serving

TOKEN = "am-webhook-token-0123456789"
CONFIG = {"alerts": {"sources": {"am": {"kind": "alertmanager", "auth": "bearer",
                                        "secret_env": "AM_TOKEN"}}}}
LABELS = {"alertname": "NodeNotReady", "team": "platform", "severity": "critical",
          "node": "aks-pool1-00007"}


class Connector:
    """Stands in for the Bot Connector: posts get ids, updates must name a posted message."""

    def __init__(self, store: AlertStore) -> None:
        self.store = store
        self.messages: dict[str, dict[str, object]] = {}
        self.calls: list[tuple[str, str]] = []

    async def __call__(self, delivery: Delivery) -> SendResult:
        group = await self.store.group(str(delivery.payload["group_id"]))
        assert group is not None
        card = card_for(group, datetime.now(UTC))
        assert card_size(card) <= MAX_ALERT_CARD_BYTES
        if delivery.is_update:
            assert delivery.message_id in self.messages
            self.messages[delivery.message_id] = card
            self.calls.append(("update", delivery.message_id))
            return SendResult(200)
        message_id = f"msg-{len(self.messages) + 1}"
        self.messages[message_id] = card
        self.calls.append(("post", message_id))
        return SendResult(201, message_id=message_id)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def am_alert(ends_at: datetime | None = None) -> dict[str, object]:
    alert: dict[str, object] = {
        "labels": LABELS,
        "annotations": {"summary": "Node aks-pool1-00007 is not ready",
                        "runbook_url": "https://runbooks.example/node-not-ready"},
        "generatorURL": "http://prometheus.example:9090/graph",
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    return alert


async def notifications(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(alert_notifications)))
                   .scalar_one())


async def test_real_alertmanager_fire_resolve_and_silence(db: Database, tmp_path: Path) -> None:
    sources = load_alerts(None, CONFIG, {"AM_TOKEN": TOKEN}).sources
    outbox = OutboxStore(db)
    store = AlertStore(db, outbox, sources)
    await store.subscribe("t1", "chan-ops", parse_filter(["severity>=warning"]), "oid-ada",
                          "Ada Lovelace", datetime.now(UTC))
    connector = Connector(store)
    worker = DeliveryWorker(outbox, connector, config=WorkerConfig(poll_seconds=0.1))
    handler = alerts_handler(sources, store, on_accepted=lambda _: worker.wake())
    running = asyncio.ensure_future(worker.run())
    try:
        async with serving(handler) as bot, alertmanager(
            tmp_path / "am", f"{bot}/api/alerts/am", TOKEN
        ) as am:
            await post_alerts(am, [am_alert()])
            await eventually(lambda: _calls(connector, 1), "the card to be posted")
            await asyncio.sleep(1.5)  # three group intervals: nothing new, nothing re-sent
            assert await notifications(db) == 1
            assert connector.calls == [("post", "msg-1")]
            [group] = await store.firing_for("chan-ops", "t1")
            assert [a.labels for a in group.notification.alerts] == [LABELS]
            assert "FIRING" in str(connector.messages["msg-1"]["body"])

            await post_alerts(am, [am_alert(ends_at=datetime.now(UTC) - timedelta(seconds=1))])
            await eventually(lambda: _calls(connector, 2), "the card to be updated")
            assert connector.calls == [("post", "msg-1"), ("update", "msg-1")]
            resolved = await store.group(group.id)
            assert resolved is not None and resolved.status == "resolved"
            assert "RESOLVED" in str(connector.messages["msg-1"]["body"])
            assert await store.firing_for("chan-ops", "t1") == []

            await check_silences(am, group.notification.alerts[0].labels)
    finally:
        worker.stop()
        await asyncio.wait_for(running, 10)


async def _calls(connector: Connector, n: int) -> bool:
    return len(connector.calls) >= n


async def check_silences(am: str, labels: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as http:
        client = AlertmanagerClient(http, am)
        now = datetime.now(UTC)
        silence_id = await client.create_silence(labels, now, now + timedelta(hours=1),
                                                 "Ada Lovelace (opsbot)", "Silence 1h from Teams")
        listed = {s.id: s for s in await client.silences()}
        assert listed[silence_id].matchers == labels  # exactly the alert's labels, exact match
        assert listed[silence_id].state == "active"
        assert listed[silence_id].created_by == "Ada Lovelace (opsbot)"
        await client.delete_silence(silence_id)
        assert {s.id: s.state for s in await client.silences()}[silence_id] == "expired"


def test_a_missing_binary_fails_under_ci_with_the_way_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(process, "BINARY", tmp_path / "no-alertmanager")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="scripts/install-alertmanager"):
        process.require_binary()
