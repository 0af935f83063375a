"""`nodes reboot <node>...`: reboot nodes by name, typed, on a card that shows each node's state.

The worked example of docs/ARCHITECTURE.md: one command, one card kind, one button verb (Retry
after an interruption), all running on the card-job core. The policy applies exactly as to the
failed-node card's buttons (permission `nodes.reboot`, argument rules on `nodes`, approvals).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cards.models import NodeProgress
from cards.reboot import VERB_REBOOT_RETRY, reboot_card
from teams_bot.actions.models import Press
from teams_bot.actions.router import claim_and_start
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from teams_bot.jobs.core import Entry, JobSpec, RetrySpec, posted_then_shown, progress_entry
from teams_bot.kit import CardKind, Feature, JobButton

if TYPE_CHECKING:
    from teams_bot.services import Services

KIND, VERB_RUN = "node_reboot", "reboot.run"
INTERRUPTED = "interrupted: the bot stopped while this ran; check the node before retrying"
commands = CommandRegistry()


@commands.command(
    "nodes reboot",
    permission="nodes.reboot",
    group="Nodes",
    examples=["nodes reboot web-07", "nodes reboot web-07 web-11"],
)
async def nodes_reboot(ctx: CommandContext, *nodes: str) -> Reply:
    """Reboot nodes by name, one after the other, on a card that shows each node's progress.

    Runs the `reboot` action of the bot's config file. A node already being rebooted (from any
    card) is not rebooted twice.
    """
    names = list(dict.fromkeys(n for n in nodes if n.strip()))
    if not names:
        raise CommandError("Name at least one node, e.g. `nodes reboot web-07`.")
    services: Services = ctx.services
    card, record = await _create(services, ctx, names)
    pressed = Press(None, VERB_RUN, ctx.caller, ctx.where, ctx.correlation_id)
    result, done = await claim_and_start(services, record, ctx.caller, pressed, card)
    if done is None:
        raise CommandError(result.message)

    posted = posted_then_shown(services, card.id)

    shown = await services.actions.card(card.id) or card
    return CardReply(render(services, shown), f"Rebooting {len(names)} node(s)", on_posted=posted)


async def _create(
    services: Services, ctx: CommandContext, names: list[str]
) -> tuple[CardRecord, ActionRecord]:
    now = datetime.now(UTC)
    who = ctx.caller.display_name or ctx.caller.aad_object_id
    card = CardRecord(
        id=services.signer.new_id(),
        kind=KIND,
        data={"nodes": names, "progress": {}, "retry": {}, "by": who, "at": now.isoformat()},
        tenant_id=ctx.caller.tenant_id,
        conversation_id=ctx.where.conversation_id,
        created_at=now,
        updated_at=now,
    )
    record = ActionRecord(
        id=services.signer.new_id(),
        card_id=card.id,
        verb=VERB_RUN,
        permission="nodes.reboot",
        command="nodes reboot",
        arguments={"targets": names, "nodes": names},
        tenant_id=ctx.caller.tenant_id,
        created_by=ctx.caller.aad_object_id,
        created_at=now,
        expires_at=now + timedelta(minutes=1),
    )
    await services.actions.create(card, [record])
    return card, record


def mark(data: dict[str, Any], targets: list[str] | Any, entry: Entry) -> dict[str, Any]:
    data["progress"] = {**data["progress"], **{t: entry for t in targets}}
    return data


def interrupted(
    data: dict[str, Any], action: ActionRecord, retries: dict[str, str]
) -> dict[str, Any]:
    entry = progress_entry("failed", action.claimed_by_name, INTERRUPTED)
    running = [t for t, p in data["progress"].items() if p["state"] == "running"]
    return {**mark(data, running, entry), "retry": {**data.get("retry", {}), **retries}}


def render(services: Services, card: CardRecord) -> dict[str, Any]:
    data = card.data
    progress = {
        node: NodeProgress(
            state=entry["state"],  # type: ignore[arg-type]
            by=entry["by"],
            at=datetime.fromisoformat(entry["at"]),
            detail=entry.get("detail", ""),
        )
        for node, entry in data["progress"].items()
    }
    retry = {node: services.signer.token(aid) for node, aid in data.get("retry", {}).items()}
    return reboot_card(
        data["nodes"],
        progress,
        requested_by=data["by"],
        at=datetime.fromisoformat(data["at"]),
        retry=retry,
    )


def _one(node: str) -> dict[str, Any]:
    return {"target": node, "nodes": [node]}


_RETRY = RetrySpec(VERB_REBOOT_RETRY, _one)


def _job(group: bool) -> JobSpec:
    return JobSpec(
        action="reboot",
        arguments=lambda node, _record: {"node": node},
        lock=lambda node: f"node:{node}",
        mark=mark,
        group_member_verb=VERB_REBOOT_RETRY if group else None,
        retry=_RETRY,
    )


feature = Feature(
    name="reboot",
    commands=commands,
    buttons=[
        JobButton(VERB_RUN, _job(group=True)),
        JobButton(VERB_REBOOT_RETRY, _job(group=False)),
    ],
    cards=[CardKind(KIND, render, interrupted=interrupted)],
)
