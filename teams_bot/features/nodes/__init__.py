"""Failed nodes: `nodes failed` posts a card with Reboot, Reboot all and Rollback buttons.

Everything the feature adds is declared here; the card-job core runs the buttons' jobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cards import VERB_NODE_REBOOT, VERB_NODES_REBOOT_ALL, VERB_RELEASE_ROLLBACK
from cards.common import with_notice
from teams_bot.actions.store import CardRecord
from teams_bot.features.nodes import card as nodes_card
from teams_bot.features.nodes.commands import REBOOT, ROLLBACK, commands
from teams_bot.identity import Caller, Where
from teams_bot.jobs.core import JobSpec, RetrySpec
from teams_bot.kit import CardKind, Feature, JobButton

if TYPE_CHECKING:
    from teams_bot.services import Services


def node_lock(node: str) -> str:
    return f"node:{node}"


def _one_node(node: str) -> dict[str, Any]:
    return {"target": node, "nodes": [node]}


RETRY_REBOOT = RetrySpec(VERB_NODE_REBOOT, _one_node)

REBOOT_JOB = JobSpec(
    action=REBOOT,
    arguments=lambda node, _record: {"node": node},
    lock=node_lock,
    mark=nodes_card.mark_nodes,
    retry=RETRY_REBOOT,
)
REBOOT_ALL_JOB = JobSpec(
    action=REBOOT,
    arguments=lambda node, _record: {"node": node},
    lock=node_lock,
    mark=nodes_card.mark_nodes,
    group_member_verb=VERB_NODE_REBOOT,
    retry=RETRY_REBOOT,
)
ROLLBACK_JOB = JobSpec(
    action=ROLLBACK,
    arguments=lambda release, _record: {"release": release},
    lock=lambda release: f"release:{release}",
    mark=nodes_card.mark_rollback,
)


def render(services: Services, card: CardRecord) -> dict[str, Any]:
    note = nodes_card.reboot_all_note(services.authorizer.policy, _names(card))
    return nodes_card.render(card, services.signer, reboot_all_note=note)


def _names(card: CardRecord) -> list[str]:
    return [node["name"] for node in card.data["nodes"]]


async def view(
    services: Services, card: CardRecord, viewer: Caller, where: Where
) -> dict[str, Any]:
    """This viewer's own card: without the buttons they may not use, saying why."""
    check = services.authorizer.check
    reboot = check(viewer, where, "nodes.reboot", "nodes reboot", {"nodes": []})
    every = check(viewer, where, "nodes.reboot", "nodes reboot", {"nodes": _names(card)})
    rollback = check(viewer, where, "release.rollback", "release rollback", {})
    shown = nodes_card.render(
        card,
        services.signer,
        may_act=(reboot.allowed, rollback.allowed),
        may_reboot_all=every.allowed,
        reboot_all_note=nodes_card.reboot_all_note(services.authorizer.policy, _names(card)),
    )
    if not reboot.allowed:
        shown = with_notice(shown, f"Your view: no Reboot buttons. {reboot.reason}")
    elif not every.allowed and card.data["buttons"].get("reboot_all"):
        shown = with_notice(shown, f"Your view: no “Reboot all” button. {every.reason}")
    return shown


feature = Feature(
    name="nodes",
    commands=commands,
    buttons=[
        JobButton(VERB_NODE_REBOOT, REBOOT_JOB),
        JobButton(VERB_NODES_REBOOT_ALL, REBOOT_ALL_JOB),
        JobButton(VERB_RELEASE_ROLLBACK, ROLLBACK_JOB),
    ],
    cards=[CardKind(nodes_card.KIND, render, view=view, interrupted=nodes_card.interrupted)],
)
