"""Issue 12 through the bot: `alerts subscribe` in a channel, a notification posted to
/api/alerts/{source} becomes one card there (delivered by the outbox worker), a retry makes no
second card, resolving updates the same card, Acknowledge shows who for everyone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.e2e.test_card_actions import executes, wait_until
from tests.simulator import ALICE, BOB, ChannelSimulator

ROOT = Path(__file__).resolve().parents[2]
SECRET = "alert-source-secret-0123456789abcdef"
POLICY = """
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "alerts.read"]

[roles.oncall]
permissions = ["alerts.*", "nodes.*"]

[bindings.users]
"{alice}" = ["oncall"]
"""
CONFIG = """
[alerts.sources.grafana]
kind = "generic"
auth = "bearer"
secret_env = "TEST_ALERT_SECRET"

[oncall.teams.payments]
timezone = "Europe/Berlin"
handoff = "09:00"
rotation = "daily"
start = "2026-01-01"
members = [
  { name = "Grace Hopper", aad_object_id = "6f1c0000-0000-4000-8000-00000000abcd", \
teams_id = "29:grace" },
]
"""


@pytest.fixture
async def alerts_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    monkeypatch.setenv("TEST_ALERT_SECRET", SECRET)
    config, policy = tmp_path / "alerts.toml", tmp_path / "alerts-policy.toml"
    config.write_text(CONFIG, encoding="utf-8")
    policy.write_text(POLICY.format(alice=ALICE.aad_object_id), encoding="utf-8")
    files = {"config_file": config, "policy_file": policy}
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as running:
        yield running


def alert(state: str = "firing") -> dict[str, Any]:
    return {
        "title": "Checkout latency high",
        "state": state,
        "severity": "critical",
        "dedup_key": "checkout-latency",
        "labels": {"team": "payments", "node": "web-07"},
        "annotations": {"summary": "p99 over 2 s for 10 minutes"},
    }


async def post_alert(bot: BotUnderTest, body: dict[str, Any], secret: str = SECRET) -> Any:
    url = bot.url.removesuffix("/api/messages") + "/api/alerts/grafana"
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    async with bot.session.post(url, data=json.dumps(body), headers=headers) as resp:
        return resp.status, await resp.json()


async def subscribe(bot: BotUnderTest) -> str:
    message = bot.teams.channel_message("<at>opsbot</at> alerts subscribe severity>=warning")
    assert (await bot.post(message)).status in (200, 201)
    (reply,) = await bot.sim.wait_for_calls(1)
    assert "Subscribed" in visible_text(reply.body), visible_text(reply.body)
    bot.sim.clear()
    return str(message["conversation"]["id"])


async def test_an_alert_becomes_one_card_updated_in_place_and_acknowledged(
    alerts_bot: BotUnderTest,
) -> None:
    bot = alerts_bot
    channel = await subscribe(bot)
    assert (await post_alert(bot, alert(), secret="wrong-secret-0123456789"))[0] == 401
    status, body = await post_alert(bot, alert())
    assert status == 200 and body["status"] == "accepted"
    assert (await post_alert(bot, alert()))[1]["status"] == "duplicate", "a retry is no new card"

    def posted() -> list[Any]:
        return [
            c for c in bot.sim.calls if c.method == "POST" and c.body and c.body.get("attachments")
        ]

    await wait_until(lambda: bool(posted()), seconds=15)
    (card_call,) = posted()
    assert card_call.conversation_id == channel.split(";")[0], "a new thread in the channel"
    card = card_call.body["attachments"][0]["content"]  # type: ignore[index]
    assert "Checkout latency high" in card_text(card)
    # critical: the on-call person of the alert's team is @mentioned (a real mention entity)
    (entity,) = card["msteams"]["entities"]
    assert entity["mentioned"] == {"id": "29:grace", "name": "Grace Hopper"}
    assert "On call for payments: <at>Grace Hopper</at>" in json.dumps(card)

    (ack,) = [a for a in executes(card) if a.get("title") == "Acknowledge"]
    stored = await _message_id(bot)
    invoke = bot.teams.card_action_invoke(
        ack["verb"], ack["data"], user=ALICE, where="channel", reply_to_id=stored
    )
    invoke["conversation"]["id"] = channel
    answer = (await bot.post(invoke)).json()
    assert f"Acknowledged by {ALICE.name}" in card_text(answer["value"])
    await wait_until(
        lambda: any(
            c.method == "PUT" and "Acknowledged by" in visible_text(c.body) for c in bot.sim.calls
        ),
        seconds=15,
    )
    assert (await post_alert(bot, alert("resolved")))[1]["status"] == "accepted"
    await wait_until(
        lambda: any(
            c.method == "PUT" and c.activity_id == stored and "RESOLVED" in visible_text(c.body)
            for c in bot.sim.calls
        ),
        seconds=15,
    )
    assert len(posted()) == 1, "resolving updated the same card; nothing new was posted"


async def _message_id(bot: BotUnderTest) -> str:
    for _ in range(100):
        async with bot.services.db.engine.connect() as conn:
            from sqlalchemy import text

            row = (
                await conn.execute(text("SELECT message_id FROM outbox WHERE message_id != ''"))
            ).first()
        if row:
            return str(row[0])
        await asyncio.sleep(0.05)
    raise AssertionError("the card's message id was not stored")


async def test_a_person_without_the_permission_cannot_subscribe_or_acknowledge(
    alerts_bot: BotUnderTest,
) -> None:
    bot = alerts_bot
    message = bot.teams.channel_message("<at>opsbot</at> alerts subscribe", user=BOB)
    await bot.post(message)
    (reply,) = await bot.sim.wait_for_calls(1)
    assert "alerts.subscribe" in visible_text(reply.body)
    bot.sim.clear()
    listing = bot.teams.channel_message("<at>opsbot</at> alerts subscriptions", user=BOB)
    await bot.post(listing)
    (reply,) = await bot.sim.wait_for_calls(1)
    assert "No alert subscriptions here" in visible_text(reply.body)


async def test_an_alert_naming_a_runbook_offers_to_run_it(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: the `runbook` annotation names a known runbook -> a "Run runbook" button that
    starts it as `runbook run NAME` would (gate, audit, its own card)."""
    root = ROOT
    example = (root / "infra" / "config.example.toml").read_text(encoding="utf-8")
    config, policy = tmp_path / "alerts-rb.toml", tmp_path / "alerts-rb-policy.toml"
    config.write_text(
        example.replace('workdir = ".."', f'workdir = "{root}"').replace(
            'folder = "runbooks"', f'folder = "{root / "infra" / "runbooks"}"'
        )
        + CONFIG.split("[oncall")[0],
        encoding="utf-8",
    )
    policy.write_text(
        POLICY.format(alice=ALICE.aad_object_id).replace('"nodes.*"]', '"nodes.*", "runbooks.*"]'),
        encoding="utf-8",
    )
    monkeypatch.setenv("TEST_ALERT_SECRET", SECRET)
    monkeypatch.setenv("OPSBOT_EXAMPLE_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "0")
    files = {"config_file": config, "policy_file": policy}
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as bot:
        channel = await subscribe(bot)
        body = {**alert(), "annotations": {"runbook": "restart-web", "summary": "web is down"}}
        assert (await post_alert(bot, body))[0] == 200
        await wait_until(lambda: bool(_cards(bot)), seconds=15)
        card = _cards(bot)[0].body["attachments"][0]["content"]  # type: ignore[index]
        (run,) = [a for a in executes(card) if a.get("title") == "Run runbook restart-web"]
        invoke = bot.teams.card_action_invoke(
            run["verb"],
            run["data"],
            user=ALICE,
            where="channel",
            reply_to_id=await _message_id(bot),
        )
        invoke["conversation"]["id"] = channel
        assert (await bot.post(invoke)).status == 200
        await wait_until(
            lambda: any("Restart two web nodes" in visible_text(c.body) for c in bot.sim.calls),
            seconds=15,
        )
        records = await bot.services.audit.query(last=10, kind="command")
        assert ("runbook run", ALICE.aad_object_id) in {
            (r.command, r.aad_object_id) for r in records
        }


def _cards(bot: BotUnderTest) -> list[Any]:
    return [c for c in bot.sim.calls if c.method == "POST" and c.body and c.body.get("attachments")]
