"""Tests an outside mutation probe found missing (issue 15): each fails on a plausible bug."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from teams_bot.policy import allows
from tests.botrunner import BotUnderTest
from tests.e2e.approving import decide
from tests.e2e.conftest import LENA
from tests.e2e.nodes_env import ran
from tests.e2e.test_card_actions import post_card, press, record_path
from tests.simulator import ALICE


@pytest.mark.parametrize(
    ("granted", "needed"),
    [("nodes.read", "nodes.reader"), ("help", "helpdesk"), ("nodes.*", "nodesx.reboot")],
)
def test_a_permission_is_not_a_prefix_of_another(granted: str, needed: str) -> None:
    assert not allows([granted], needed)
    assert allows([granted], granted.replace("*", "reboot"))


async def _rollback_request(bot: BotUnderTest) -> tuple[str, object]:
    posted = await post_card(bot)
    rollback = next(a for t, a in posted.buttons.items() if t.startswith("Rollback"))
    await press(bot, posted, rollback, user=ALICE)
    reply = bot.teams.channel_message("<at>opsbot</at> web is down since the release", user=ALICE)
    reply["conversation"]["id"] = posted.conversation_id
    await bot.post(reply)
    await bot.sim.wait_for_calls(2)
    (approval,) = await bot.services.approvals.open_for(ALICE.aad_object_id)
    return posted.conversation_id, approval


async def test_approved_work_does_not_start_once_the_requester_lost_the_permission(
    nodes_bot: BotUnderTest,
) -> None:
    bot = nodes_bot
    conversation_id, approval = await _rollback_request(bot)
    authorizer = bot.services.authorizer
    policy = authorizer.policy
    weaker = dict(policy.roles)
    weaker["operator"] = replace(weaker["operator"], permissions=("nodes.*",))  # no release.*
    authorizer.policy = replace(policy, roles=weaker)
    try:
        assert (await decide(bot, approval, LENA, conversation_id)).status == 200  # type: ignore[arg-type]
        for _ in range(100):
            latest = await bot.services.approvals.get(approval.id)  # type: ignore[attr-defined]
            if latest and latest.state in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.05)
    finally:
        authorizer.policy = policy
    assert latest is not None and latest.state == "failed"
    assert "release.rollback" in str((latest.result or {}).get("text"))
    await asyncio.sleep(0.3)
    assert ran(record_path()) == [], "nothing ran"


async def test_an_approval_button_from_another_tenant_is_refused(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    conversation_id, approval = await _rollback_request(bot)
    other = "99999999-1111-2222-3333-444444444444"
    result = await decide(bot, approval, LENA, conversation_id, tenant=other)  # type: ignore[arg-type]
    answer = result.json()
    assert "This card belongs to another organization." in str(answer["value"])
    latest = await bot.services.approvals.get(approval.id)  # type: ignore[attr-defined]
    assert latest is not None and latest.state == "pending" and latest.votes == ()
