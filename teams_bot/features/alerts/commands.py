"""`alerts subscribe|unsubscribe|subscriptions` and `alerts`: which alerts come to a channel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from teams_bot.alerts import parse_filter
from teams_bot.alerts.render import title_of
from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from teams_bot.features.alerts.runtime import runtime

if TYPE_CHECKING:
    from teams_bot.services import Services

commands = CommandRegistry()


def _here(ctx: CommandContext) -> str:
    """A channel's conversation (a thread reply's id names its channel too)."""
    return ctx.where.conversation_id.split(";")[0]


@commands.command(
    "alerts subscribe",
    permission="alerts.subscribe",
    group="Alerts",
    examples=["alerts subscribe", "alerts subscribe severity>=warning team=payments"],
    terms=True,
)
async def subscribe(ctx: CommandContext, *terms: str) -> Reply:
    """Send alerts from monitoring to this conversation, as cards updated in place.

    Filters (all must match): severity>=LEVEL (info, warning, error, critical), label=value,
    source=NAME (a source of the config file). Without filters: every alert of every source.
    """
    services: Services = ctx.services
    parts = runtime(services)
    if not parts.config.sources:
        raise CommandError("No alert sources are configured ([alerts.sources] in the config file).")
    wanted = parse_filter(terms, parts.config.sources)
    await _installed_here(services, ctx)
    who = ctx.caller.display_name or ctx.caller.aad_object_id
    sub = await parts.store.subscribe(
        ctx.caller.tenant_id, _here(ctx), wanted, ctx.caller.aad_object_id, who, datetime.now(UTC)
    )
    return (
        f"Subscribed (`{sub.id}`): {wanted.describe()} will come here as cards. "
        f"`alerts unsubscribe {sub.id}` stops it."
    )


async def _installed_here(services: Services, ctx: CommandContext) -> None:
    if await services.conversations.get(_here(ctx)) is None and (
        await services.conversations.get(ctx.where.conversation_id) is None
    ):
        raise CommandError("I can't post here yet: add me to this team or chat first.")


@commands.command(
    "alerts unsubscribe",
    permission="alerts.subscribe",
    group="Alerts",
    examples=["alerts unsubscribe K3F2A9"],
)
async def unsubscribe(ctx: CommandContext, subscription_id: str) -> Reply:
    """Stop a subscription of this conversation (its id is in `alerts subscriptions`)."""
    removed = await runtime(ctx.services).store.unsubscribe(
        subscription_id, ctx.caller.tenant_id, _here(ctx)
    )
    if not removed:
        raise CommandError(f"This conversation has no subscription '{subscription_id}'.")
    return f"Unsubscribed `{subscription_id.upper()}`: those alerts no longer come here."


@commands.command("alerts subscriptions", permission="alerts.read", group="Alerts")
async def subscriptions(ctx: CommandContext) -> Reply:
    """This conversation's alert subscriptions: what they receive, who made each and when."""
    subs = await runtime(ctx.services).store.subscriptions(_here(ctx), ctx.caller.tenant_id)
    if not subs:
        return "No alert subscriptions here. `alerts subscribe` starts one."
    lines = [
        f"- `{s.id}` {s.filter.describe()} — by {s.created_by_name}, "
        f"{s.created_at.strftime('%Y-%m-%d %H:%M UTC')}"
        + (f" (**disabled**: {s.disabled_reason})" if s.state != "active" else "")
        for s in subs
    ]
    return "\n".join(["**Alert subscriptions here**", *lines])


@commands.command("alerts", permission="alerts.read", group="Alerts")
async def firing(ctx: CommandContext) -> Reply:
    """The alerts firing now that this conversation receives."""
    groups = await runtime(ctx.services).store.firing_for(_here(ctx), ctx.caller.tenant_id)
    if not groups:
        return "Nothing firing that this conversation receives."
    lines = [
        f"- **{title_of(g)}** ({g.severity or 'no severity'}, since "
        f"{g.first_seen_at.strftime('%H:%M UTC')})"
        + (f", acknowledged by {g.acked_by_name}" if g.acked_by else "")
        for g in groups
    ]
    return "\n".join([f"**Firing now ({len(groups)})**", *lines])
