"""Issue 14: the ops-log channel gets every audited event as one compact line, batched into one
message per block of events (updated in place as it fills), through the outbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from teams_bot.features.opslog import post_new_events
from tests.botrunner import BotUnderTest, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.simulator import ALICE, ChannelSimulator


async def test_audited_events_appear_in_the_ops_log_channel_once(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "opslog.toml"
    config.write_text("", encoding="utf-8")  # [opslog] is added once the channel is known
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, config_file=config) as bot:
        first = bot.teams.channel_message("<at>opsbot</at> version", user=ALICE)
        channel = str(first["conversation"]["id"]).split(";")[0]
        config.write_text(f'[opslog]\nconversation = "{channel}"\n', encoding="utf-8")
        await bot.post(first)  # also makes the channel known to the bot
        await bot.post(bot.teams.channel_message("<at>opsbot</at> audit", user=ALICE))
        await bot.sim.wait_for_calls(2)
        bot.sim.clear()
        await asyncio.gather(post_new_events(bot.services), post_new_events(bot.services))
        await _until(bot, lambda texts: any("command audit → ok" in t for t in texts))
        posts = [c for c in bot.sim.calls if c.method == "POST"]
        assert len(posts) == 1, "two replicas scanning at once: one message"
        text = visible_text(posts[0].body)
        assert "Alice" in text and "command version → ok" in text
        assert posts[0].conversation_id == channel


async def _until(bot: BotUnderTest, check) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        texts = [visible_text(c.body) for c in bot.sim.calls]
        if check(texts):
            return
        await asyncio.sleep(0.05)
    raise AssertionError([visible_text(c.body) for c in bot.sim.calls])
