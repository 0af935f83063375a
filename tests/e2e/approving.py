"""Pressing an approval card's buttons as a person would, for the end-to-end tests."""

from __future__ import annotations

from typing import Any

from teams_bot.approvals.models import Approval
from teams_bot.approvals.service import card as render_approval
from tests.botrunner import BotUnderTest
from tests.simulator import User
from tests.simulator.client import PostResult


def buttons(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "Action.Execute" else []
        return found + [b for value in node.values() for b in buttons(value)]
    if isinstance(node, list):
        return [b for value in node for b in buttons(value)]
    return []


async def decide(
    bot: BotUnderTest,
    approval: Approval,
    user: User,
    conversation_id: str,
    verb: str = "approval.approve",
    tenant: str | None = None,
) -> PostResult:
    """Press Approve (or another approval verb) on the approval's card in its conversation."""
    button = next(b for b in buttons(render_approval(bot.services, approval)) if b["verb"] == verb)
    invoke = bot.teams.card_action_invoke(
        verb, button["data"], user=user, where="channel", reply_to_id=approval.activity_id
    )
    invoke["conversation"]["id"] = conversation_id
    if tenant is not None:
        invoke["channelData"]["tenant"]["id"] = tenant
        invoke["conversation"]["tenantId"] = tenant
    return await bot.post(invoke)
