"""`freeze on [reason] [for=2h] [env=prod]`, `freeze off [env=...]`, `freeze status`.

While a freeze holds, the risky commands of `[release] risky` are held by the gate (see
guard.py). A timed freeze ends by itself and says so where it was set.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from teams_bot.auditing import audit_record
from teams_bot.commands.context import CommandContext, Reply
from teams_bot.features.release.commands import commands
from teams_bot.features.release.guard import describe
from teams_bot.features.release.store import Freeze, FreezeStore
from teams_bot.identity import Caller, Where

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)

MAX_FREEZE = timedelta(days=30)


@commands.command(
    "freeze on",
    permission="freeze.set",
    group="Releases",
    examples=["freeze on", 'freeze on "release night" for=2h env=production'],
    aliases={"env": ["environment"]},
)
async def freeze_on(
    ctx: CommandContext,
    *reason: str,
    for_: timedelta | None = None,
    env: str | None = None,
) -> Reply:
    """Stop risky changes (deploy, rollback, reboot) everywhere or in one environment.

    Without for=, it holds until `freeze off`.
    """
    now = datetime.now(UTC)
    if for_ is not None and not timedelta(0) < for_ <= MAX_FREEZE:
        return "A freeze lasts from one minute to 30 days (for=2h, for=1d)."
    freeze = Freeze(
        id=ctx.services.signer.new_id(),
        tenant_id=ctx.caller.tenant_id,
        environment=(env or "*").strip().lower() or "*",
        reason=" ".join(reason)[:300],
        by_id=ctx.caller.aad_object_id,
        by_name=ctx.caller.display_name or ctx.caller.aad_object_id,
        conversation_id=ctx.where.conversation_id,
        started_at=now,
        until=now + for_ if for_ else None,
    )
    await FreezeStore(ctx.services.db).start(freeze)
    return f"❄ {describe(freeze)} Risky commands are held; `freeze off` ends it."


@commands.command(
    "freeze off",
    permission="freeze.set",
    group="Releases",
    examples=["freeze off", "freeze off env=production"],
)
async def freeze_off(ctx: CommandContext, *, env: str | None = None) -> Reply:
    """End the freeze (everywhere, or the one for an environment)."""
    who = ctx.caller.display_name or ctx.caller.aad_object_id
    scope = env.strip().lower() if env else None
    ended = await FreezeStore(ctx.services.db).end(
        ctx.caller.tenant_id, scope, who, datetime.now(UTC)
    )
    if not ended:
        return "No freeze holds" + (f" for {env}." if env else ".")
    return "\n".join(f"Freeze ended by {who}: was {describe(f)}" for f in ended)


@commands.command("freeze status", permission="status", group="Releases")
async def freeze_status(ctx: CommandContext) -> Reply:
    """Which freezes hold now, who set them, why, and until when."""
    found = await FreezeStore(ctx.services.db).active(ctx.caller.tenant_id, datetime.now(UTC))
    return "\n".join(f"- {describe(f)}" for f in found) or "No freeze holds: changes may go ahead."


async def end_timed_freezes(services: Services) -> list[Freeze]:
    """A timed freeze ends by itself (once, on any replica) and says so where it was set."""
    ended = await FreezeStore(services.db).expire_due(datetime.now(UTC))
    for freeze in ended:
        text = f"❄ The freeze set by {freeze.by_name} has ended: changes may go ahead again."
        try:
            await services.messenger.post(freeze.conversation_id, text)
        except Exception:  # posting is best effort; the audit has it
            log.warning("could not say in %s that a freeze ended", freeze.conversation_id)
        who = Caller(aad_object_id="", tenant_id=freeze.tenant_id, display_name="(time)")
        where = Where(conversation_id=freeze.conversation_id, tenant_id=freeze.tenant_id)
        await services.audit.append(
            audit_record(
                "command",
                who,
                where,
                command="freeze off",
                arguments={"environment": freeze.environment},
                outcome="ok",
                detail="a timed freeze ended by itself",
                correlation_id="",
            )
        )
    return ended
