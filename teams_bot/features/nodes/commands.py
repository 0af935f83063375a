"""`nodes failed`: the failed-node card and the single-use records behind its buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cards import VERB_NODE_REBOOT, VERB_NODES_REBOOT_ALL, VERB_RELEASE_ROLLBACK
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.features.nodes import card as nodes_card
from teams_bot.identity import Caller
from teams_bot.services import Services

commands = CommandRegistry()

REBOOT, ROLLBACK = "reboot", "rollback"  # action names in the automation config


@commands.command(
    "nodes failed",
    permission="nodes.read",
    group="Nodes",
    examples=["nodes failed", "nodes failed --cluster prod-eu"],
)
async def nodes_failed(ctx: CommandContext, *, cluster: str | None = None) -> Reply:
    """List failed nodes, with Reboot buttons per node and Rollback for the release behind them.

    The nodes come from the inventory source in the bot's config file. Buttons re-check who
    presses them; each can be used once and expires (TEAMS_BOT_ACTION_TTL_MINUTES).
    """
    services: Services = ctx.services
    found = await services.automation.inventory().failed_nodes(cluster)
    now = datetime.now(UTC)
    who = ctx.caller.display_name or ctx.caller.aad_object_id
    card = CardRecord(
        id=services.signer.new_id(),
        kind=nodes_card.KIND,
        data=nodes_card.initial_data(found, cluster, who, now, ctx.caller.teams_id),
        tenant_id=ctx.caller.tenant_id,
        conversation_id=ctx.where.conversation_id,
        created_at=now,
        updated_at=now,
    )
    actions = _actions(services, card, ctx.caller, now)
    await services.actions.create(card, actions)
    card = await services.actions.card(card.id) or card
    summary = f"{len(found)} failed {'node' if len(found) == 1 else 'nodes'}"
    summary += f" in {cluster}" if cluster else ""
    card_id = card.id

    async def posted(message_id: str) -> None:
        await services.actions.set_activity_id(card_id, message_id)

    names = [node["name"] for node in card.data["nodes"]]
    note = nodes_card.reboot_all_note(services.authorizer.policy, names)
    shown = nodes_card.render(card, services.signer, reboot_all_note=note)
    return CardReply(shown, summary, on_posted=posted)


def _actions(
    services: Services, card: CardRecord, caller: Caller, now: datetime
) -> list[ActionRecord]:
    """Records behind the buttons; their ids are written into the card data."""
    expires = now + timedelta(minutes=services.settings.action_ttl_minutes)
    configured = services.automation.actions

    def record(verb: str, permission: str, command: str, args: dict[str, Any]) -> ActionRecord:
        return ActionRecord(
            id=services.signer.new_id(),
            card_id=card.id,
            verb=verb,
            permission=permission,
            command=command,
            arguments=args,
            tenant_id=caller.tenant_id,
            created_by=caller.aad_object_id,
            created_at=now,
            expires_at=expires,
        )

    made: list[ActionRecord] = []
    nodes = [n["name"] for n in card.data["nodes"]]
    buttons = card.data["buttons"]
    if REBOOT in configured and nodes:
        for name in nodes[: nodes_card.PAGE_SIZE]:
            made.append(
                record(
                    VERB_NODE_REBOOT,
                    "nodes.reboot",
                    "nodes reboot",
                    {"target": name, "nodes": [name]},
                )
            )
            buttons["reboot"][name] = made[-1].id
        made.append(
            record(
                VERB_NODES_REBOOT_ALL,
                "nodes.reboot",
                "nodes reboot",
                {"targets": nodes, "nodes": nodes},
            )
        )
        buttons["reboot_all"] = made[-1].id
    release = card.data["release"]
    if ROLLBACK in configured and release:
        made.append(
            record(
                VERB_RELEASE_ROLLBACK,
                "release.rollback",
                "release rollback",
                {"target": release, "release": release},
            )
        )
        buttons["rollback"] = made[-1].id
    return made
