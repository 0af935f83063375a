"""A 👍 on an approval card by an eligible approver counts as Approve, with exactly the checks of
the button (the gate's identity, approver roles, four eyes, quorum); any other reaction, or a 👍 on
any other message, is ignored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from teams_bot.approvals import service
from teams_bot.approvals.service import VERB_APPROVE
from teams_bot.identity import Caller, Where

if TYPE_CHECKING:
    from teams_bot.services import Services

APPROVE_REACTIONS = frozenset({"like"})  # Teams names 👍 "like"


async def reacted(
    services: Services,
    caller: Caller,
    where: Where,
    message_id: str,
    reactions: Sequence[str],
    correlation_id: str,
) -> str | None:
    """Apply a reaction; the sentence for the log when it counted as a vote, else None."""
    if not APPROVE_REACTIONS.intersection(reactions):
        return None
    channel = where.conversation_id.split(";")[0]
    approval = await services.approvals.by_message(where.conversation_id, message_id)
    if approval is None and channel != where.conversation_id:
        approval = await services.approvals.by_message(channel, message_id)
    if approval is None or approval.tenant_id != caller.tenant_id:
        return None
    identified = await services.gate.identify(caller)
    if not services.authorizer.may_approve(identified, approval.approver_roles):
        return None  # a 👍 from anyone else is just a 👍
    return await service.decide(
        services, approval, VERB_APPROVE, caller, where, "(a 👍 reaction)", correlation_id
    )
