"""Commands every installation has: help, whoami, version, audit."""

from __future__ import annotations

import platform
from datetime import UTC, datetime

from cards import HelpCommand, HelpGroup, RoleGrant, WhoAmI, help_card, whoami_card
from teams_bot.commands.context import CardReply, CommandContext, MentionedUser, Reply
from teams_bot.commands.helptext import render_command, render_index
from teams_bot.commands.parser import similar
from teams_bot.commands.registry import Command, CommandRegistry
from teams_bot.errors import CommandError, UnknownCommandError
from teams_bot.policy import allows
from teams_bot.storage.audit import AuditRecord

builtins = CommandRegistry()


@builtins.command("help", permission="help", group="General", examples=["help", "help audit"])
async def help_command(ctx: CommandContext, *topic: str) -> Reply:
    """Show what I can do for you, or how to use one command.

    Without a topic: the commands you may run, grouped. With a command name: its usage,
    arguments and examples.
    """
    registry = ctx.services.registry
    visible = registry.visible_to(lambda permission: allows(ctx.permissions, permission))
    if not topic:
        return CardReply(help_card(_groups(visible)), render_index(visible))
    name = " ".join(topic).lower()
    command = registry.get(name)
    if command is None or command.hidden:
        names = [c.name for c in visible]
        raise UnknownCommandError(name, similar(name, names))
    return render_command(command)


def _groups(commands: list[Command]) -> list[HelpGroup]:
    grouped: dict[str, list[HelpCommand]] = {}
    for command in commands:
        grouped.setdefault(command.group, []).append(
            HelpCommand(command.name, command.summary, command.usage)
        )
    order = sorted(grouped, key=lambda g: (g != "General", g))
    return [HelpGroup(title, grouped[title]) for title in order]


@builtins.command("whoami", permission="whoami", group="General")
async def whoami(ctx: CommandContext) -> Reply:
    """Show who I think you are: your Azure AD identity and your roles."""
    caller = ctx.caller
    roles = ", ".join(f"{role} ({source})" for role, source in caller.role_sources) or "none"
    summary = (
        f"{caller.display_name or 'Unknown user'}: Azure AD object id "
        f"{caller.aad_object_id or '(none)'}, tenant {caller.tenant_id or '(none)'}, "
        f"roles {roles}"
    )
    identity = WhoAmI(
        display_name=caller.display_name or "Unknown user",
        aad_object_id=caller.aad_object_id,
        tenant_id=caller.tenant_id,
        roles=[RoleGrant(role, source) for role, source in caller.role_sources],
        checked_at=datetime.now(UTC),
    )
    # Local development mode checks no token: the card must not claim a signed-in account.
    settings = getattr(ctx.services, "settings", None)  # minimal test stand-ins carry none
    signed_in = settings is None or bool(settings.auth_enabled)
    return CardReply(whoami_card(identity, signed_in=signed_in), summary)


@builtins.command("version", permission="version", group="General")
async def version(ctx: CommandContext) -> Reply:
    """Show the bot's version."""
    return f"teams-chatops-bot {ctx.services.version} (Python {platform.python_version()})"


@builtins.command(
    "audit",
    permission="audit.read",
    group="General",
    examples=["audit", "audit --user Ada --last 50"],
)
async def audit(ctx: CommandContext, *, user: str | None = None, last: int = 20) -> Reply:
    """Show recent audit records: who ran what, where, and how it ended.

    `--user` matches an Azure AD object id exactly or a display name in part; an @mention
    (`--user @Adele Vance`) means that person.
    """
    if not 1 <= last <= 200:
        raise CommandError("'last' must be between 1 and 200.")
    who = await resolve_user(ctx, user) if user else None
    records = await ctx.services.audit.query(user=who, last=last)
    if not records:
        return "No audit records match." if user else "The audit log is empty."
    lines = [format_record(r) for r in records]
    return f"Last {len(records)} audit record(s), newest first:\n\n" + "\n".join(lines)


async def resolve_user(ctx: CommandContext, value: str) -> str:
    """A user argument: an @mention becomes the person's Azure AD object id (from the mention
    entity, else from the Teams member lookup when the bot layer offers one), else their name."""
    mention = ctx.mentions.get(value)
    if mention is None:
        return value
    return mention.aad_object_id or await _looked_up(ctx, mention) or mention.name


async def _looked_up(ctx: CommandContext, mention: MentionedUser) -> str:
    """The Teams member lookup (the conversation's roster) through the bot layer."""
    if not mention.teams_id:
        return ""
    messenger = ctx.services.messenger
    return str(await messenger.member_aad_id(ctx.where.conversation_id, mention.teams_id) or "")


def format_record(record: AuditRecord) -> str:
    """One audit record as a single markdown list line (also used by `teams-bot audit`)."""
    args = " ".join(f"{k}={v}" for k, v in record.arguments.items())
    who = record.display_name or record.aad_object_id or "?"
    at = record.at.strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"- {at} UTC **{who}** `{record.command}{' ' + args if args else ''}` → "
        f"{record.outcome} ({record.duration_ms:.0f} ms, ref {record.correlation_id})"
    )
