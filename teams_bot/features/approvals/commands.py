"""`approve`, `deny` and `pending`: the approval flow by text, for keyboards (PoshBot parity)."""

from __future__ import annotations

from teams_bot.approvals import service
from teams_bot.approvals.service import VERB_APPROVE, VERB_DENY
from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError

commands = CommandRegistry()


@commands.command("approve", permission="approvals", group="Approvals", examples=["approve A7K3F2"])
async def approve(ctx: CommandContext, approval_id: str) -> Reply:
    """Approve a pending request by its id (shown on its card).

    You need one of the request's approver roles, and it can't be your own request.
    """
    return await _decide(ctx, approval_id, VERB_APPROVE, "")


@commands.command(
    "deny",
    permission="approvals",
    group="Approvals",
    examples=["deny A7K3F2", 'deny A7K3F2 "not during the freeze"'],
)
async def deny(ctx: CommandContext, approval_id: str, *reason: str) -> Reply:
    """Deny a pending request by its id, optionally saying why; nothing will run."""
    return await _decide(ctx, approval_id, VERB_DENY, " ".join(reason))


@commands.command("pending", permission="approvals", group="Approvals")
async def pending(ctx: CommandContext) -> Reply:
    """Show what waits for your decision, and what you asked for."""
    return await service.pending_text(ctx.services, ctx.caller)


async def _decide(ctx: CommandContext, approval_id: str, verb: str, reason: str) -> Reply:
    approval = await ctx.services.approvals.get(approval_id)
    if approval is None or approval.tenant_id != ctx.caller.tenant_id:
        raise CommandError(f"There is no approval '{approval_id}'. Type `pending` to see yours.")
    return await service.decide(
        ctx.services, approval, verb, ctx.caller, ctx.where, reason[:500], ctx.correlation_id
    )
