"""The failed-nodes card's stored state and how it is drawn (pure functions, no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cards import (
    FailedNode,
    NodeActions,
    NodeProgress,
    ReleaseInfo,
    failed_nodes_card,
)
from cards.common import with_notice
from teams_bot.actions.refresh import REFRESH_VERB, refresh_token
from teams_bot.actions.signing import ActionSigner
from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.authz import matches
from teams_bot.automation.models import NodeInfo
from teams_bot.jobs.core import Entry, progress_entry
from teams_bot.policy import Policy, command_key

KIND = "failed_nodes"
PAGE_SIZE = 25
INTERRUPTED = "interrupted: the bot stopped while this ran; check the node before retrying"


def initial_data(
    found: Sequence[NodeInfo],
    cluster: str | None,
    requested_by: str,
    at: datetime,
    requester_teams_id: str = "",
) -> dict[str, Any]:
    return {
        "requester_teams_id": requester_teams_id,
        "cluster": cluster,
        "release": broken_release(found),
        "nodes": [_node(n) for n in found],
        "requested_by": requested_by,
        "at": at.isoformat(),
        "buttons": {"reboot": {}, "reboot_all": None, "rollback": None},
        "progress": {},
        "rollback": None,
        "healed": {},  # node -> entry: healed by another job (the rollback of its release)
    }


def broken_release(found: Sequence[NodeInfo]) -> str | None:
    """The release most failed nodes share: the one a Rollback button should undo."""
    counts = Counter(n.release for n in found if n.release)
    return counts.most_common(1)[0][0] if counts else None


def _node(node: NodeInfo) -> dict[str, Any]:
    return {
        "name": node.name,
        "cluster": node.cluster,
        "state": node.state,
        "since": node.since.isoformat() if node.since else None,
        "last_error": node.last_error,
        "release": node.release,
    }


def mark_nodes(data: dict[str, Any], targets: Sequence[str], entry: Entry) -> dict[str, Any]:
    """Show `entry` (running, succeeded, failed) for these nodes."""
    data["progress"] = {**data["progress"], **{t: entry for t in targets}}
    return data


def mark_rollback(data: dict[str, Any], targets: Sequence[str], entry: Entry) -> dict[str, Any]:
    """The rollback's state; when it succeeded, the nodes its release broke are healed (what
    the rollback action does: see infra/examples/rollback_release.py) and shown so."""
    data["rollback"] = entry
    if entry["state"] == "succeeded" and data.get("release"):
        data["healed"] = {**data.get("healed", {}), **healed_by_rollback(data, entry)}
    return data


def healed_by_rollback(data: dict[str, Any], entry: Entry) -> dict[str, Entry]:
    """Nodes broken by the card's release and not rebooted already, each with a healed entry."""
    release = data["release"]
    done = {n for n, p in data["progress"].items() if p["state"] in ("running", "succeeded")}
    how = {**entry, "state": "succeeded", "detail": f"the rollback of {release}"}
    return {
        node["name"]: how
        for node in data["nodes"]
        if node.get("release") == release and node["name"] not in done
    }


def interrupted(
    data: dict[str, Any], action: ActionRecord, retries: dict[str, str]
) -> dict[str, Any]:
    """Nodes (and a rollback) still shown running say so; interrupted nodes get a fresh Reboot."""
    entry = progress_entry("failed", action.claimed_by_name, INTERRUPTED)
    targets = action.arguments.get("targets") or [action.arguments.get("target", "")]
    running = {t for t, p in data["progress"].items() if p["state"] == "running"}
    data["progress"] = {**data["progress"], **{t: entry for t in targets if t in running}}
    if (data.get("rollback") or {}).get("state") == "running":
        data["rollback"] = entry
    data["buttons"] = {**data["buttons"], "reboot": {**data["buttons"]["reboot"], **retries}}
    return data


def reboot_all_note(policy: Policy, nodes: Sequence[str]) -> str | None:
    """What "Reboot all failed" needs for this many nodes beyond a single Reboot, said up front
    on the card everyone sees (the policy's argument rules on the node count)."""
    for rule in policy.argument_rules:
        if rule.argument != "nodes" or rule.kind != "count_over":
            continue
        if matches(rule.commands, command_key("nodes reboot")) and len(nodes) > int(
            str(rule.value)
        ):
            what = rule.description or f"rebooting more than {rule.value} nodes"
            return f"Reboot all failed: {what} needs the role '{rule.require_role}'."
    return None


def render(
    card: CardRecord,
    signer: ActionSigner,
    *,
    may_act: tuple[bool, bool] = (True, True),
    may_reboot_all: bool = True,
    reboot_all_note: str | None = None,
) -> dict[str, Any]:
    """The card; `may_act` = (may reboot, may roll back) and `may_reboot_all` (that many nodes)
    for one viewer's own view; `reboot_all_note` what Reboot all needs, for everyone."""
    data = card.data
    may_reboot, may_rollback = may_act
    buttons = (
        data["buttons"] if may_reboot else {**data["buttons"], "reboot": {}, "reboot_all": None}
    )
    if not may_reboot_all:
        buttons = {**buttons, "reboot_all": None}
    if not may_rollback:
        buttons = {**buttons, "rollback": None}
    rollback_state = data.get("rollback")
    actions = NodeActions(
        reboot={node: signer.token(aid) for node, aid in buttons["reboot"].items()},
        reboot_all=signer.token(buttons["reboot_all"]) if buttons["reboot_all"] else None,
        rollback=signer.token(buttons["rollback"])
        if buttons["rollback"] and not rollback_state
        else None,
    )
    drawn = failed_nodes_card(
        [_failed(n) for n in data["nodes"]],
        cluster=data["cluster"],
        release=ReleaseInfo(data["release"]) if data["release"] else None,
        actions=actions,
        requested_by=data["requested_by"],
        at=datetime.fromisoformat(data["at"]),
        page_size=PAGE_SIZE,
        progress={k: _progress(v) for k, v in data["progress"].items()},
        refresh_verb=REFRESH_VERB,
        refresh_user_ids=[data["requester_teams_id"]] if data.get("requester_teams_id") else [],
        refresh_action_id=refresh_token(signer, card.id),
        healed={k: _progress(v) for k, v in (data.get("healed") or {}).items()},
        reboot_all_note=reboot_all_note,
    )
    return _with_rollback_notice(drawn, data["release"], rollback_state)


def _failed(node: dict[str, Any]) -> FailedNode:
    since = datetime.fromisoformat(node["since"]) if node["since"] else datetime.now(UTC)
    return FailedNode(node["name"], node["cluster"], node["state"], since, node["last_error"])


def _progress(entry: dict[str, str]) -> NodeProgress:
    return NodeProgress(
        state=entry["state"],  # type: ignore[arg-type]
        by=entry["by"],
        at=datetime.fromisoformat(entry["at"]),
        detail=entry.get("detail", ""),
    )


def _with_rollback_notice(
    card: dict[str, Any], release: str | None, state: dict[str, str] | None
) -> dict[str, Any]:
    if not state:
        return card
    clock = datetime.fromisoformat(state["at"]).strftime("%H:%M UTC")
    words = {"running": "Rolling back", "succeeded": "Rolled back", "failed": "Rollback failed for"}
    text = (
        f"{words.get(state['state'], 'Rollback')} {release}, requested by {state['by']} at {clock}"
    )
    if state.get("detail"):
        text += f": {state['detail']}"
    colors = {"running": "accent", "succeeded": "good", "failed": "attention"}
    return with_notice(card, text, color=colors.get(state["state"], "default"))
