"""Issue 12 with the real Alertmanager (Debian's prometheus-alertmanager) and the real bot:
`alerts subscribe` in a channel -> an alert fired in Alertmanager -> one card in the channel ->
Silence 1h creates a real silence that Alertmanager lists -> Acknowledge -> resolving the alert
in Alertmanager updates the same card to RESOLVED."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from teams_bot.alerts import AlertmanagerClient
from tests.alertmanager import process
from tests.alertmanager.process import alertmanager, free_port, post_alerts
from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.e2e.test_card_actions import executes, wait_until
from tests.simulator import ALICE, ChannelSimulator

TOKEN = "am-webhook-token-0123456789"
LABELS = {
    "alertname": "NodeNotReady",
    "team": "platform",
    "severity": "critical",
    "node": "aks-pool1-00007",
}
POLICY = f"""
default_roles = ["viewer"]
[roles.viewer]
permissions = ["help"]
[roles.oncall]
permissions = ["alerts.*", "nodes.*"]
[bindings.users]
"{ALICE.aad_object_id}" = ["oncall"]
"""


def am_alert(ends_at: datetime | None = None) -> dict[str, object]:
    alert: dict[str, object] = {"labels": LABELS, "annotations": {"summary": "node not ready"}}
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    return alert


def cards_posted(bot: BotUnderTest) -> list[Any]:
    return [c for c in bot.sim.calls if c.method == "POST" and c.body and c.body.get("attachments")]


async def press(bot: BotUnderTest, card: dict[str, Any], title: str, conv: str, msg: str) -> Any:
    (button,) = [a for a in executes(card) if a.get("title") == title]
    invoke = bot.teams.card_action_invoke(
        button["verb"], button["data"], user=ALICE, where="channel", reply_to_id=msg
    )
    invoke["conversation"]["id"] = conv
    result = await bot.post(invoke)
    assert result.status == 200, result.text
    return result.json()


async def test_fire_silence_acknowledge_resolve_with_the_real_alertmanager(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AM_TOKEN", TOKEN)
    config, policy = tmp_path / "am-config.toml", tmp_path / "am-policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    am_port = free_port()  # Alertmanager's address goes into the bot's config before both start
    monkeypatch.setattr(process, "free_port", lambda: am_port)
    config.write_text(
        f'[alerts.sources.am]\nkind = "alertmanager"\nauth = "bearer"\n'
        f'secret_env = "AM_TOKEN"\napi_url = "http://127.0.0.1:{am_port}"\n',
        encoding="utf-8",
    )
    files = {"config_file": config, "policy_file": policy}
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as bot:
        hook = bot.url.removesuffix("/api/messages") + "/api/alerts/am"
        async with alertmanager(tmp_path / "am", hook, TOKEN) as am:
            message = bot.teams.channel_message(
                "<at>opsbot</at> alerts subscribe severity>=warning"
            )
            await bot.post(message)
            (reply,) = await bot.sim.wait_for_calls(1)
            assert "Subscribed" in visible_text(reply.body)
            channel = str(message["conversation"]["id"])
            bot.sim.clear()

            await post_alerts(am, [am_alert()])
            await wait_until(lambda: bool(cards_posted(bot)), seconds=20)
            (posted,) = cards_posted(bot)
            card = posted.body["attachments"][0]["content"]
            assert "NodeNotReady" in card_text(card) and "Reboot aks-pool1-00007" in card_text(card)
            message_id = await _message_id(bot)

            silenced = await press(bot, card, "Silence 1h", channel, message_id)
            assert "Unsilence" in card_text(silenced["value"])
            async with aiohttp.ClientSession() as http:
                listed = await AlertmanagerClient(http, am).silences()
            active = [s for s in listed if s.state == "active"]
            assert len(active) == 1, listed

            acked = await press(bot, silenced["value"], "Acknowledge", channel, message_id)
            assert f"Acknowledged by {ALICE.name}" in card_text(acked["value"])
            # a silenced alert's notifications (its resolution too) are muted: lift it first
            lifted = await press(bot, acked["value"], "Unsilence", channel, message_id)
            assert "Silence 1h" in card_text(lifted["value"])
            async with aiohttp.ClientSession() as http:
                listed = await AlertmanagerClient(http, am).silences()
            assert [s.state for s in listed] == ["expired"]

            await post_alerts(am, [am_alert(ends_at=datetime.now(UTC) - timedelta(seconds=1))])
            await wait_until(
                lambda: any(
                    c.method == "PUT"
                    and c.activity_id == message_id
                    and "RESOLVED" in visible_text(c.body)
                    for c in bot.sim.calls
                ),
                seconds=20,
            )
            assert len(cards_posted(bot)) == 1, "one card, updated in place"


async def _message_id(bot: BotUnderTest) -> str:
    from sqlalchemy import select

    from teams_bot.outbox.tables import outbox

    for _ in range(100):
        async with bot.services.db.engine.connect() as conn:
            row = (
                await conn.execute(select(outbox.c.message_id).where(outbox.c.message_id != ""))
            ).first()
        if row:
            return str(row[0])
        await asyncio.sleep(0.05)
    raise AssertionError("no message id stored")
