"""Commands end to end: signed Teams activities in, replies at the connector, audit written."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest

from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from tests.botrunner import BotUnderTest, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.simulator import ALICE, BOB, ChannelSimulator, User


async def reply_text(bot: BotUnderTest, activity: dict, n: int = 1) -> str:
    result = await bot.post(activity)
    assert result.status in (200, 201), result.text
    calls = await bot.sim.wait_for_calls(n)
    return visible_text(calls[-1].body)


async def test_channel_mention_help_is_answered_in_the_thread(bot: BotUnderTest) -> None:
    activity = bot.teams.channel_message("<at>opsbot</at> help", user=BOB)
    await bot.post(activity)
    (call,) = await bot.sim.wait_for_calls(1)
    assert call.conversation_id == activity["conversation"]["id"]
    assert call.activity_id == activity["id"], "a channel answer replies to the message"
    shown = visible_text(call.body)
    assert call.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "whoami" in shown and "version" in shown
    assert "audit" not in shown, "help lists only what the caller may run"


@pytest.mark.parametrize("where", ["group", "personal"])
async def test_group_chat_and_personal_are_answered(bot: BotUnderTest, where: str) -> None:
    activity = (
        bot.teams.group_chat_message("<at>opsbot</at> version")
        if where == "group"
        else bot.teams.personal_message("version")
    )
    assert "teams-chatops-bot" in await reply_text(bot, activity)


async def test_whoami_shows_the_authenticated_identity(bot: BotUnderTest) -> None:
    text = await reply_text(bot, bot.teams.channel_message("<at>opsbot</at> whoami", user=ALICE))
    assert ALICE.aad_object_id in text and bot.sim.tenant_id in text
    assert "auditor (user binding)" in text and "viewer (default)" in text


async def test_messages_from_bots_are_ignored(bot: BotUnderTest) -> None:
    result = await bot.post(bot.teams.message_from_bot("<at>opsbot</at> help"))
    assert result.status in (200, 201)
    await asyncio.sleep(0.2)
    assert bot.sim.calls == []


async def test_unknown_command_suggests(bot: BotUnderTest) -> None:
    text = await reply_text(bot, bot.teams.personal_message("whoamii"))
    assert "Unknown command 'whoamii'" in text and "whoami" in text


async def test_bad_arguments_show_usage(bot: BotUnderTest) -> None:
    text = await reply_text(bot, bot.teams.personal_message("audit --last lots", user=ALICE))
    assert "Usage: audit" in text and "whole number" in text


async def test_denied_command_names_the_permission_and_is_audited(bot: BotUnderTest) -> None:
    text = await reply_text(bot, bot.teams.personal_message("audit", user=BOB))
    assert "audit.read" in text
    (record,) = await bot.services.audit.query(user=BOB.aad_object_id, last=5)
    assert record.outcome == "denied" and record.command == "audit"


async def test_audit_records_every_command_with_identity(bot: BotUnderTest) -> None:
    await reply_text(bot, bot.teams.channel_message("<at>opsbot</at> version", user=BOB))
    text = await reply_text(bot, bot.teams.personal_message("audit --last 5", user=ALICE), n=2)
    assert "Bob" in text and "version" in text
    records = await bot.services.audit.query(last=10)
    version = next(r for r in records if r.command == "version")
    assert version.aad_object_id == BOB.aad_object_id
    assert version.tenant_id == bot.sim.tenant_id
    assert version.team_id and version.channel_id and version.conversation_id
    assert version.outcome == "ok" and version.correlation_id


async def test_other_tenants_are_refused(bot: BotUnderTest) -> None:
    activity = bot.teams.personal_message("version")
    activity["channelData"]["tenant"]["id"] = "99999999-0000-0000-0000-000000000000"
    text = await reply_text(bot, activity)
    assert "does not accept requests from your organization" in text
    (record,) = await bot.services.audit.query(last=1)
    assert record.outcome == "denied"


async def test_bot_added_to_team_welcomes_and_remembers(bot: BotUnderTest) -> None:
    activity = bot.teams.conversation_update_bot_added()
    await bot.post(activity)
    (call,) = await bot.sim.wait_for_calls(1)
    assert "help" in visible_text(call.body)
    stored = await bot.services.conversations.get(activity["conversation"]["id"])
    assert stored is not None and stored.service_url == bot.sim.service_url
    assert stored.reference["conversation"]["id"] == activity["conversation"]["id"]


async def test_every_message_stores_the_conversation_reference(bot: BotUnderTest) -> None:
    activity = bot.teams.group_chat_message("<at>opsbot</at> version")
    await reply_text(bot, activity)
    stored = await bot.services.conversations.get(activity["conversation"]["id"])
    assert stored is not None and stored.conversation_type == "groupChat"


async def test_connector_429_is_retried_and_nothing_is_lost(bot: BotUnderTest) -> None:
    bot.sim.fail_next(429, times=2, retry_after=0.05)
    text = await reply_text(bot, bot.teams.personal_message("version"))
    assert "teams-chatops-bot" in text


slow = CommandRegistry()


@slow.command("slow", permission="help")
async def slow_command(ctx: CommandContext, seconds: float = 0.6) -> Reply:
    """Sleep, then answer (tests the turn deadline)."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@slow.command("boom", permission="help")
async def boom(ctx: CommandContext) -> Reply:
    """Fail unexpectedly (tests the apology)."""
    raise RuntimeError("kaboom with secret sauce")


@slow.command("nope", permission="help")
async def nope(ctx: CommandContext) -> Reply:
    """Fail expectedly."""
    raise CommandError("The thing is not there.")


@pytest.fixture
async def slow_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    async with start_bot(
        simulator, db_url, tmp_path, monkeypatch, slow, turn_deadline_seconds=0.2
    ) as running:
        yield running


async def test_long_command_is_acknowledged_then_answered_later(slow_bot: BotUnderTest) -> None:
    first = await reply_text(slow_bot, slow_bot.teams.personal_message("slow"))
    assert "taking longer than usual" in first
    calls = await slow_bot.sim.wait_for_calls(2, timeout=5)
    assert calls[1].body["text"] == "slept 0.6"


async def test_unexpected_error_apologises_with_correlation_id(
    slow_bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    text = await reply_text(slow_bot, slow_bot.teams.personal_message("boom"))
    match = re.search(r"reference \*\*([0-9a-f]{16})\*\*", text)
    assert match, text
    assert "kaboom" not in text
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and getattr(logged[0], "correlation_id", None) == match.group(1)
    (record,) = await slow_bot.services.audit.query(last=1)
    assert record.outcome == "error" and record.correlation_id == match.group(1)


async def test_command_error_message_reaches_the_user(slow_bot: BotUnderTest) -> None:
    assert await reply_text(slow_bot, slow_bot.teams.personal_message("nope")) == (
        "The thing is not there."
    )


def test_users_are_distinct() -> None:
    assert isinstance(ALICE, User) and ALICE.aad_object_id != BOB.aad_object_id
