"""`runbook list`, `runbook <name>`, `runbook run <name> [key=value ...]`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cards.runbook import VERB_STOP, runbook_list_card
from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from teams_bot.features.runbooks import run
from teams_bot.features.runbooks.documents import config, doc_card, listed
from teams_bot.jobs.core import show

if TYPE_CHECKING:
    from teams_bot.services import Services

commands = CommandRegistry()
_ARG = re.compile(r"([a-z_][a-z0-9_]{0,40})=(.*)", re.DOTALL)


@commands.command(
    "runbook list", permission="runbooks.read", group="Runbooks", examples=["runbook list"]
)
async def runbook_list(ctx: CommandContext) -> Reply:
    """List the runbooks: Markdown documents and executable runbooks."""
    found = listed(config(ctx.services))
    return CardReply(runbook_list_card(found), f"{len(found)} runbook(s)")


@commands.command(
    "runbook", permission="runbooks.read", group="Runbooks", examples=["runbook node-not-ready"]
)
async def runbook_show(ctx: CommandContext, name: str) -> Reply:
    """Show a runbook as a card (long ones are paged with Next and Previous)."""
    card = doc_card(ctx.services, name.strip().lower())
    return CardReply(card, f"Runbook {name}")


@commands.command(
    "runbook run",
    permission="runbooks.run",
    group="Runbooks",
    examples=["runbook run restart-web first=web-01 second=web-02"],
    terms=True,
)
async def runbook_run(ctx: CommandContext, name: str, *args: str) -> Reply:
    """Run an executable runbook step by step on one card (Continue where a step pauses, Stop).

    Arguments are `key=value` pairs that fill each step's action placeholders.
    """
    services: Services = ctx.services
    runbook = config(services).run(name.strip().lower())
    if runbook is None:
        known = ", ".join(r.name for r in config(services).runs) or "none"
        raise CommandError(f"No executable runbook named {name!r}. Known: {known}.")
    values = runbook.values(_arguments(args))
    for step in runbook.steps:  # refuse missing or unsafe values now, before anything runs
        services.automation.job_for(step.action, step.arguments(values))
    card = run.new_card(services, runbook, values, ctx.caller, ctx.where)
    first = run.segment(services, card, 0, ctx.caller)
    await services.actions.create(card, [first, run.stop_record(card, ctx.caller, VERB_STOP)])
    who = ctx.caller.display_name or ctx.caller.aad_object_id
    claimed = await services.actions.claim(
        first.id, ctx.caller.aad_object_id, who, datetime.now(UTC)
    )
    if claimed is None:
        raise CommandError("The runbook could not be started; try again.")
    services.tasks.spawn(
        run.run_segment(
            services, claimed, ctx.caller, ctx.where, ctx.correlation_id, resumed=False
        ),
        f"runbook {claimed.id}",
    )

    async def posted(message_id: str) -> None:
        await services.actions.set_activity_id(card.id, message_id)
        latest = await services.actions.card(card.id)
        if latest is not None:
            await show(services, latest)  # the run may have moved on while the card was sent

    shown = await services.actions.card(card.id) or card
    return CardReply(
        run.render(services, shown), f"Runbook {runbook.name} started", on_posted=posted
    )


def _arguments(args: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for arg in args:
        found = _ARG.fullmatch(arg.strip())
        if found is None:
            raise CommandError(f"Arguments are key=value pairs, e.g. node=web-01 (not {arg!r}).")
        values[found.group(1)] = found.group(2)
    return values
