"""`deploy`, `deploy list`, `rollback`: releases of the services declared in the config file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cards.release import VERB_DEPLOY_ROLLBACK
from teams_bot.actions.models import Press
from teams_bot.actions.router import claim_and_start
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.automation.release import ReleaseTarget
from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from teams_bot.features.release import card as release_card
from teams_bot.features.release.config import load_release_config
from teams_bot.features.release.jobs import VERB_DEPLOY, VERB_ROLLBACK
from teams_bot.features.release.store import Release, ReleaseStore
from teams_bot.jobs.core import posted_then_shown

if TYPE_CHECKING:
    from teams_bot.services import Services

commands = CommandRegistry()
PERMISSIONS = {"deploy": "deploy.run", "rollback": "deploy.rollback"}


@commands.command(
    "deploy",
    permission="deploy.run",
    group="Releases",
    examples=["deploy web 1.4.2", "deploy web 1.4.2 env=production", "deploy web version=1.4.2"],
    aliases={"env": ["environment"]},
)
async def deploy(
    ctx: CommandContext, service: str, version: str, *, env: str | None = None
) -> Reply:
    """Deploy a version of a service to an environment (default: the service's first one).

    The card shows the run as it moves and its result, with a Rollback button afterwards.
    Services, environments and version patterns come from the config file.
    """
    services: Services = ctx.services
    target = services.automation.services.target(service, env, version)
    store = ReleaseStore(services.db)
    current = await store.last_good(ctx.caller.tenant_id, target.service.name, target.environment)
    previous = current.version if current else ""
    return await _release(ctx, "deploy", target, previous, target.service.deploy_action)


@commands.command(
    "rollback",
    permission="deploy.rollback",
    group="Releases",
    examples=["rollback web", "rollback web env=production", "rollback web to=1.4.1"],
    aliases={"env": ["environment"]},
)
async def rollback(
    ctx: CommandContext, service: str, *, env: str | None = None, to: str | None = None
) -> Reply:
    """Roll a service back in an environment: to the previous successful deploy, or to=VERSION.

    The card says which version it goes back to before the job runs.
    """
    services: Services = ctx.services
    target = services.automation.services.target(service, env, to)
    store = ReleaseStore(services.db)
    tenant, name, where = ctx.caller.tenant_id, target.service.name, target.environment
    current = await store.last_good(tenant, name, where)
    if to is None:
        earlier = await store.last_good(
            tenant, name, where, before=current.version if current else None
        )
        if current is None or earlier is None:
            raise CommandError(
                f"I know no earlier successful deploy of {name} in {where} to go back to; "
                f"say which version, e.g. `rollback {name} env={where} to=1.2.3`."
            )
        target = ReleaseTarget(target.service, where, earlier.version)
    action = target.service.rollback_action or target.service.deploy_action
    return await _release(ctx, "rollback", target, current.version if current else "", action)


async def _release(
    ctx: CommandContext, kind: str, target: ReleaseTarget, previous: str, action: str
) -> Reply:
    services: Services = ctx.services
    limit = load_release_config(services.settings.config_file).max_concurrent
    if await ReleaseStore(services.db).running_count(ctx.caller.tenant_id) >= limit:
        raise CommandError(f"{limit} releases are running already (the limit); try again soon.")
    card, record = await _create(services, ctx, kind, target, previous, action)
    pressed = Press(None, record.verb, ctx.caller, ctx.where, ctx.correlation_id)
    result, done = await claim_and_start(services, record, ctx.caller, pressed, card)
    if done is None:
        raise CommandError(result.message)

    posted = posted_then_shown(services, card.id)

    shown = await services.actions.card(card.id) or card
    summary = f"{kind.capitalize()} {target.service.name} {target.version} to {target.environment}"
    return CardReply(release_card.render(services, shown), summary, on_posted=posted)


async def _create(
    services: Services,
    ctx: CommandContext,
    kind: str,
    target: ReleaseTarget,
    previous: str,
    action: str,
) -> tuple[CardRecord, ActionRecord]:
    now = datetime.now(UTC)
    who = ctx.caller.display_name or ctx.caller.aad_object_id
    card_id, run_id = services.signer.new_id(), services.signer.new_id()
    spec = target.service
    where = f"{spec.name}@{target.environment}"
    base = {"target": where, "service": spec.name, "environment": target.environment}

    def record(verb: str, command: str, version: str, act: str, ttl: timedelta) -> ActionRecord:
        arguments = {**base, "version": version, "action": act, "kind": kind, "previous": previous}
        if verb == VERB_DEPLOY_ROLLBACK:
            arguments.update(kind="rollback", previous=target.version or "")
        return ActionRecord(
            id=run_id if verb != VERB_DEPLOY_ROLLBACK else services.signer.new_id(),
            card_id=card_id,
            verb=verb,
            permission=PERMISSIONS[command],
            command=command,
            arguments=arguments,
            tenant_id=ctx.caller.tenant_id,
            created_by=ctx.caller.aad_object_id,
            created_at=now,
            expires_at=now + ttl,
        )

    run = record(
        VERB_DEPLOY if kind == "deploy" else VERB_ROLLBACK,
        kind,
        target.version or "",
        action,
        timedelta(minutes=1),
    )
    buttons = [run]
    if kind == "deploy" and previous:
        back = spec.rollback_action or spec.deploy_action
        ttl = timedelta(minutes=services.settings.action_ttl_minutes)
        buttons.append(record(VERB_DEPLOY_ROLLBACK, "rollback", previous, back, ttl))
    rollback_id = buttons[1].id if len(buttons) > 1 else None
    data = release_card.initial_data(kind, target, previous, who, run_id, rollback_id)
    card = CardRecord(
        id=card_id,
        kind=release_card.KIND,
        data=data,
        tenant_id=ctx.caller.tenant_id,
        conversation_id=ctx.where.conversation_id,
        created_at=now,
        updated_at=now,
    )
    await services.actions.create(card, buttons)
    return card, run


@commands.command(
    "deploy list",
    permission="deploy.read",
    group="Releases",
    examples=["deploy list", "deploy list web --env production --last 5"],
    aliases={"env": ["environment"]},
)
async def deploy_list(
    ctx: CommandContext, service: str | None = None, *, env: str | None = None, last: int = 10
) -> Reply:
    """Release history, newest first: who, when, version, environment, result, duration, link."""
    services: Services = ctx.services
    name = services.automation.services.service(service).name if service else None
    environment = None
    if env:
        environment = services.automation.services.service(name).environment(env) if name else env
    found = await ReleaseStore(services.db).history(
        ctx.caller.tenant_id, name, environment, max(1, min(last, 50))
    )
    if not found:
        return "No releases recorded yet" + (f" for {name}." if name else ".")
    return "\n".join(["**Releases, newest first**", *(_line(r) for r in found)])


def _line(release: Release) -> str:
    took = f", {release.duration_s:.0f} s" if release.duration_s is not None else ""
    link = f" ([run]({release.url}))" if release.url.startswith("https://") else ""
    when = release.started_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"- {when} {release.kind} `{release.service} {release.version}` → {release.environment} "
        f"by {release.requested_by_name}: **{release.state}**{took}{link}"
    )
