"""`oncall [team]`, `oncall override @person for=4h [team]`, `oncall page @person [message]`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cards.oncall import when
from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from teams_bot.features.oncall.config import OnCallConfig, Person, Rotation
from teams_bot.features.oncall.draw import draw_page, duty_card
from teams_bot.features.oncall.lookup import config_of, duty
from teams_bot.features.oncall.store import OnCallStore, Override, Page

if TYPE_CHECKING:
    from teams_bot.services import Services

commands = CommandRegistry()
MAX_OVERRIDE = timedelta(days=14)


def _rotation(config: OnCallConfig, team: str | None) -> Rotation:
    rotation = config.team(team)
    if rotation is None:
        known = ", ".join(sorted(config.teams)) or "none configured"
        what = f"Unknown on-call team {team!r}" if team else "Say which team"
        raise CommandError(f"{what} (teams: {known}).")
    return rotation


@commands.command(
    "oncall", permission="oncall.read", group="On-call", examples=["oncall", "oncall platform"]
)
async def oncall(ctx: CommandContext, team: str | None = None) -> Reply:
    """Who is on call now and next for a team, with hand-off times in its zone and UTC."""
    rotation = _rotation(config_of(ctx.services), team)
    found = await duty(ctx.services, rotation, datetime.now(UTC), ctx.caller.tenant_id)
    who = found.now.person.name if found.now else "nobody"
    return CardReply(duty_card(found), f"On call for {rotation.team}: {who}")


async def _person(ctx: CommandContext, rotation: Rotation | None, value: str) -> Person:
    """An @mention (its AAD id from the entity, a rotation member or the Teams roster), else a
    member of the team's rotation by name."""
    mentioned = ctx.mentions.get(value)
    members = rotation.members if rotation else ()
    if mentioned is not None:
        aad = mentioned.aad_object_id or next(
            (m.aad_object_id for m in members if m.teams_id and m.teams_id == mentioned.teams_id),
            "",
        )
        if not aad and mentioned.teams_id:
            found = await ctx.services.messenger.member_aad_id(
                ctx.where.conversation_id, mentioned.teams_id
            )
            aad = str(found or "")
        return Person(mentioned.name, aad, mentioned.teams_id)
    wanted = value.removeprefix("@").strip().lower()
    for member in members:
        if member.name.lower() == wanted:
            return member
    raise CommandError(f"@mention the person (I don't know {value!r} here).")


@commands.command(
    "oncall override",
    permission="oncall.override",
    group="On-call",
    examples=["oncall override @Bob for=4h", "oncall override @Bob for=1d platform"],
)
async def oncall_override(
    ctx: CommandContext, person: str, team: str | None = None, *, for_: timedelta
) -> Reply:
    """Put someone on call for a team from now for a while (for=30m .. for=14d)."""
    if not timedelta(minutes=1) <= for_ <= MAX_OVERRIDE:
        raise CommandError("An override lasts from one minute to 14 days (for=4h, for=2d).")
    services: Services = ctx.services
    rotation = _rotation(config_of(services), team)
    who, now = await _person(ctx, rotation, person), datetime.now(UTC)
    override = Override(
        id=services.signer.new_id(),
        tenant_id=ctx.caller.tenant_id,
        team=rotation.team,
        person=who,
        starts_at=now,
        ends_at=now + for_,
        by_name=ctx.caller.display_name or ctx.caller.aad_object_id,
        by_id=ctx.caller.aad_object_id,
        conversation_id=ctx.where.conversation_id,
        created_at=now,
    )
    await OnCallStore(services.db).add_override(override)
    until = when(override.ends_at, rotation.zone)
    return f"📟 {who.name} is on call for {rotation.team} until {until} (override)."


@commands.command(
    "oncall page",
    permission="oncall.page",
    group="On-call",
    examples=["oncall page @Bob disk full on db-3", "oncall page platform"],
)
async def oncall_page(ctx: CommandContext, person: str, *message: str) -> Reply:
    """Page someone (@mention, or a team: its on-call person) with a card they acknowledge."""
    services: Services = ctx.services
    config = config_of(services)
    team = config.teams.get(person.lower()) if person not in ctx.mentions else None
    if team is not None:
        shift = (await duty(services, team, datetime.now(UTC), ctx.caller.tenant_id)).now
        if shift is None:
            raise CommandError(f"Nobody is on call for {team.team} now.")
        who = shift.person
    else:
        who = await _person(ctx, None, person)
    page = Page(
        id=services.signer.new_id(),
        tenant_id=ctx.caller.tenant_id,
        person=who,
        message=" ".join(message)[:1000],
        by_id=ctx.caller.aad_object_id,
        by_name=ctx.caller.display_name or ctx.caller.aad_object_id,
        conversation_id=ctx.where.conversation_id,
        created_at=datetime.now(UTC),
    )
    store = OnCallStore(services.db)
    await store.add_page(page)

    async def posted(message_id: str) -> None:
        await store.set_message_id(page.id, message_id)

    return CardReply(draw_page(services.signer, page), f"Paged {who.name}", on_posted=posted)
