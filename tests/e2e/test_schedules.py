"""Schedules end to end: `schedules` through the real route with signed tokens; a scheduled
`status` run as the configured identity (roles from the policy, audited) and posted into a
conversation the bot knows; two replicas racing on one database run a tick exactly once; a tick
missed while down runs once within its grace and is skipped when older (fixed clocks)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from teams_bot.app import all_features
from teams_bot.features import schedules
from teams_bot.features.schedules.store import ScheduleStore
from tests.botrunner import BotUnderTest, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.simulator import ALICE, ChannelSimulator

ROBOT = "00000000-0000-0000-0000-0000000000e1"
POLICY = """
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "schedules.read"]

[roles.robot]
permissions = ["status"]

[bindings.users]
"{robot}" = ["robot"]
"""
# 29 March 09:00 Berlin is 07:00 UTC (the day summer time starts); the real clock never reaches
# these ticks during a test run, so only the fixed clocks below run them.
SCHEDULES = """
[schedules.morning]
cron = "0 9 29 3 *"
timezone = "Europe/Berlin"
conversation = "{conversation}"
command = "status"
run_as = {{ name = "Ops Robot", aad_object_id = "{robot}" }}
grace = "15m"

[schedules.nosy]
cron = "0 9 29 3 *"
timezone = "Europe/Berlin"
conversation = "{conversation}"
command = "audit"
run_as = {{ name = "Nosy Robot", aad_object_id = "{robot}", tenant_id = "{tenant}" }}
grace = "15m"
"""
TICK = datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


@dataclass
class Setup:
    bot: BotUnderTest
    config: Path
    conversation: str


@pytest.fixture
async def sched_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Setup]:
    policy = tmp_path / "sched-policy.toml"
    policy.write_text(POLICY.format(robot=ROBOT))
    config = tmp_path / "config.toml"
    config.write_text("")
    features = all_features()  # schedules is a shipped feature
    async with start_bot(
        simulator,
        db_url,
        tmp_path,
        monkeypatch,
        features=features,
        config_file=config,
        policy_file=policy,
    ) as bot:
        message = bot.teams.channel_message("<at>opsbot</at> help", user=ALICE)
        assert (await bot.post(message)).status in (200, 201)  # the bot now knows the channel
        conversation = str(message["conversation"]["id"])
        text = SCHEDULES.format(conversation=conversation, robot=ROBOT, tenant=simulator.tenant_id)
        config.write_text(text)
        bot.sim.clear()
        yield Setup(bot, config, conversation)


async def say(bot: BotUnderTest, text: str) -> dict[str, Any]:
    bot.sim.clear()
    assert (await bot.post(bot.teams.channel_message(f"<at>opsbot</at> {text}"))).status in (
        200,
        201,
    )
    return await first_post(bot)


async def first_post(bot: BotUnderTest) -> dict[str, Any]:
    for _ in range(200):
        posts = [c for c in bot.sim.calls if c.method == "POST" and c.body]
        if posts:
            return posts[0].body  # type: ignore[return-value]
        await asyncio.sleep(0.05)
    raise AssertionError("the bot posted nothing")


def posts(bot: BotUnderTest) -> list[dict[str, Any]]:
    return [c.body for c in bot.sim.calls if c.method == "POST" and c.body]  # type: ignore[misc]


async def test_schedules_lists_next_run_in_zone_and_utc(sched_bot: Setup) -> None:
    shown = visible_text(await say(sched_bot.bot, "schedules"))
    assert "morning" in shown and "nosy" in shown and "0 9 29 3 *" in shown
    assert "2027-03-29 09:00 CEST (07:00 UTC)" in shown and "last not yet" in shown
    await schedules.run_due(sched_bot.bot.services, TICK + timedelta(minutes=1))
    shown = visible_text(await say(sched_bot.bot, "schedules"))
    assert "last 2026-03-29 09:00 CEST (07:00 UTC): ok" in shown


async def test_a_scheduled_status_is_posted_as_the_robot_and_audited(sched_bot: Setup) -> None:
    bot = sched_bot.bot
    ran = await schedules.run_due(bot.services, TICK + timedelta(seconds=5))
    assert sorted(ran) == ["morning", "nosy"]
    calls = await bot.sim.wait_for_calls(2)
    assert all(sched_bot.conversation.split(";")[0] in c.path for c in calls)
    shown = [visible_text(body) for body in posts(bot)]
    assert any("Service status" in text for text in shown)  # the status card itself
    assert any("nosy" in text and "audit" in text and "not allowed" in text for text in shown)
    records = await bot.services.audit.query(user=ROBOT, last=10, kind="command")
    outcomes = {r.command: (r.outcome, r.conversation_id) for r in records}
    assert outcomes["status"] == ("ok", sched_bot.conversation)
    assert outcomes["audit"][0] == "denied"  # the robot's roles come from the policy


async def test_a_missed_tick_runs_once_within_grace_and_an_older_one_is_skipped(
    sched_bot: Setup,
) -> None:
    bot = sched_bot.bot
    assert await schedules.run_due(bot.services, TICK + timedelta(minutes=16)) == []
    assert await schedules.run_due(bot.services, TICK + timedelta(minutes=14)) != []
    assert await schedules.run_due(bot.services, TICK + timedelta(minutes=14, seconds=3)) == []
    assert await ScheduleStore(bot.services.db).count("morning") == 1


async def test_two_replicas_racing_run_each_tick_exactly_once(
    sched_bot: Setup,
    simulator: ChannelSimulator,
    db_url: DbTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = sched_bot.bot
    features = all_features()  # schedules is a shipped feature
    async with start_bot(
        simulator,
        db_url,
        tmp_path,
        monkeypatch,
        features=features,
        config_file=sched_bot.config,
        policy_file=tmp_path / "sched-policy.toml",
    ) as second:
        for offset in range(3):
            now = TICK + timedelta(seconds=offset)
            results = await asyncio.gather(
                schedules.run_due(first.services, now), schedules.run_due(second.services, now)
            )
            if offset == 0:
                assert sorted(results[0] + results[1]) == ["morning", "nosy"]
            else:
                assert results == [[], []]
    await first.sim.wait_for_calls(2)
    await asyncio.sleep(0.3)
    assert len(posts(first)) == 2
    store = ScheduleStore(first.services.db)
    assert await store.count("morning") == 1 and await store.count("nosy") == 1
