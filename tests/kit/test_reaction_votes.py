"""Issue 14: a 👍 reaction on an approval card by an eligible approver counts as Approve, with the
button's checks (four eyes, approver roles); other reactions and other people's 👍 are ignored."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.botrunner import BotUnderTest
from tests.e2e.conftest import LENA
from tests.e2e.test_card_actions import post_card, press
from tests.simulator import ALICE, BOB, User


def reaction(
    bot: BotUnderTest, user: User, conversation_id: str, message_id: str, kind: str
) -> Any:
    activity = bot.teams.channel_message("", user=user)
    activity.update(type="messageReaction", replyToId=message_id, reactionsAdded=[{"type": kind}])
    activity.pop("text", None)
    activity["conversation"]["id"] = conversation_id
    return activity


async def test_a_thumbs_up_by_an_approver_approves_and_runs_once(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    rollback = next(a for t, a in posted.buttons.items() if t.startswith("Rollback"))
    await press(bot, posted, rollback, user=ALICE)
    reply = bot.teams.channel_message("<at>opsbot</at> web is down since the release", user=ALICE)
    reply["conversation"]["id"] = posted.conversation_id
    await bot.post(reply)
    await bot.sim.wait_for_calls(2)
    (approval,) = await bot.services.approvals.open_for(ALICE.aad_object_id)
    conv, msg = posted.conversation_id, approval.activity_id

    for user, kind in [
        (ALICE, "like"),
        (BOB, "like"),
        (LENA, "heart"),
    ]:  # self, not an approver, not 👍
        assert (await bot.post(reaction(bot, user, conv, msg, kind))).status in (200, 201)
    await asyncio.sleep(0.3)
    still = await bot.services.approvals.get(approval.id)
    assert still is not None and still.state == "pending" and still.votes == ()

    assert (await bot.post(reaction(bot, LENA, conv, msg, "like"))).status in (200, 201)
    for _ in range(100):
        latest = await bot.services.approvals.get(approval.id)
        if latest and latest.state in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.05)
    assert latest is not None and latest.state == "succeeded"
    assert [v.voter_name for v in latest.votes] == [LENA.name]
    records = await bot.services.audit.query(last=20, kind="approval")
    assert "approved" in {r.outcome for r in records}
