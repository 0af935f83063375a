"""Issue 9 through the real route with signed tokens: the items that live in the gate, the
press router and the handler. Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.botrunner import BotUnderTest, visible_text
from tests.e2e.nodes_env import ran
from tests.e2e.test_card_actions import (
    button,
    post_card,
    record_path,
)
from tests.simulator import ALICE


@pytest.mark.parametrize("channel", ["webchat", "directline", "emulator"])
async def test_activities_from_other_channels_run_nothing(
    nodes_bot: BotUnderTest, channel: str
) -> None:
    """#12: only Teams vouches for from.aadObjectId and the tenant."""
    bot = nodes_bot
    message = bot.teams.personal_message("nodes failed", user=ALICE)
    message["channelId"] = channel
    assert (await bot.post(message)).status in (200, 201)
    (reply,) = await bot.sim.wait_for_calls(1)
    assert "only take requests from Microsoft Teams" in visible_text(reply.body)
    assert await bot.services.audit.query(last=5, kind="command") == []

    invoke = bot.teams.card_action_invoke("nodes.reboot", {"actionId": "x"}, user=ALICE)
    invoke["channelId"] = channel
    result = await bot.post(invoke)
    assert result.status == 200 and result.json()["statusCode"] == 403


@pytest.mark.parametrize("verb", [["nodes.reboot"], {"v": 1}, 7, None])
async def test_a_submit_whose_verb_is_not_text_is_refused_cleanly(
    nodes_bot: BotUnderTest, verb: Any
) -> None:
    """#8: a list or dict verb was 'unhashable' (a 500 and a traceback)."""
    bot = nodes_bot
    posted = await post_card(bot)
    data = {**button(posted, "web-07")["data"], "verb": verb}
    submit = bot.teams.submit_message(
        data, user=ALICE, where="channel", reply_to_id=posted.message_id
    )
    submit["conversation"]["id"] = posted.conversation_id
    assert (await bot.post(submit)).status in (200, 201)
    await asyncio.sleep(0.5)
    # a non-text verb is no verb: the record's own verb applies, and the press runs once
    assert ran(record_path()) == [["reboot", "--", "web-07"]]


async def test_a_press_from_another_conversation_is_refused(nodes_bot: BotUnderTest) -> None:
    """#18: the card was posted in one conversation; a press from another is not accepted."""
    bot = nodes_bot
    posted = await post_card(bot)
    reboot = button(posted, "web-07")
    invoke = bot.teams.card_action_invoke(
        reboot["verb"], reboot["data"], user=ALICE, where="personal", reply_to_id=posted.message_id
    )
    result = await bot.post(invoke)
    assert result.status == 200
    assert "belongs to a card in another conversation" in result.json()["value"]
    await asyncio.sleep(0.3)
    assert ran(record_path()) == [] and not [c for c in bot.sim.calls if c.method == "PUT"]
