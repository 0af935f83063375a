"""The failed-nodes card: what broke, since when, and buttons to reboot or roll back.

The same builder renders every state of the card: pass `progress` to overlay what happened
after a button press, and `healed` for nodes another job healed (a rollback of their release);
buttons that no longer apply to those nodes disappear, and the headline counts what is still
failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from cards.common import (
    Card,
    Element,
    action_set,
    adaptive_card,
    execute_action,
    footer,
    text_block,
    with_refresh,
)
from cards.models import FailedNode, NodeActions, NodeProgress, ReleaseInfo
from cards.size import MAX_CARD_BYTES, CardTooLarge, fit_card
from cards.text import fmt_clock, fmt_duration, fmt_time, one_line, prose, truncate

ERROR_LIMIT = 300  # characters of a node's last error shown on the card
NAME_LIMIT = 120
_SETTLED = ("running", "succeeded")  # nodes in these states lose their Reboot button


def failed_nodes_card(
    nodes: Sequence[FailedNode],
    *,
    cluster: str | None,
    release: ReleaseInfo | None,
    actions: NodeActions,
    requested_by: str | None,
    at: datetime,
    page_size: int = 25,
    progress: Mapping[str, NodeProgress] | None = None,
    refresh_verb: str | None = None,
    refresh_user_ids: Sequence[str] = (),
    refresh_action_id: str | None = None,
    healed: Mapping[str, NodeProgress] | None = None,
    reboot_all_note: str | None = None,
) -> Card:
    """Failed nodes, the first `page_size` with their own buttons, the rest counted.

    `reboot_all_note` says up front what "Reboot all failed" needs beyond a single Reboot (a
    role for that many nodes); it is shown while that button is.

    If the page does not fit the size limit it is halved until it does.
    """
    progress = {**(progress or {}), **(healed or {})}
    fixed = frozenset(healed or ())
    if not nodes:
        card = adaptive_card(_empty_body(cluster, requested_by, at),
                             fallback_text="No failed nodes")
        return fit_card(with_refresh(card, refresh_verb, refresh_user_ids, refresh_action_id))
    size = max(page_size, 1)
    while True:
        body = _body(nodes, size, cluster, release, actions, requested_by, at, progress, fixed)
        buttons = _card_actions(nodes, release, actions, progress)
        if reboot_all_note and any(b["verb"] == actions.reboot_all_verb for b in buttons):
            body.insert(-1, text_block(reboot_all_note, limit=300, size="small", subtle=True,
                                       spacing="medium"))
        card = adaptive_card(body, buttons, fallback_text=_headline(nodes, progress, cluster)[0])
        card = with_refresh(card, refresh_verb, refresh_user_ids, refresh_action_id)
        try:
            return fit_card(card, MAX_CARD_BYTES)
        except CardTooLarge:
            if size == 1:
                raise
            size //= 2


def _headline(
    nodes: Sequence[FailedNode], progress: Mapping[str, NodeProgress], cluster: str | None
) -> tuple[str, str]:
    """(headline, colour): how many nodes are still failed, and how many were healed."""
    healed = sum(1 for n in nodes if n.name in progress and progress[n.name].state == "succeeded")
    count = len(nodes) - healed
    where = f" in {truncate(one_line(cluster), 80)}" if cluster else ""
    tail = f" · {healed} healed" if healed else ""
    if count == 0:
        return f"✅ No failed nodes left{where}{tail}", "good"
    return f"⚠️ {count} failed {plural(count, 'node')}{where}{tail}", "attention"


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def _empty_body(cluster: str | None, requested_by: str | None, at: datetime) -> list[Element]:
    where = f" in {truncate(one_line(cluster), 80)}" if cluster else ""
    return [
        text_block(f"✅ No failed nodes{where}", heading=True, size="large", weight="bolder",
                   color="good"),
        text_block("Every node reports healthy. Nothing to reboot.", subtle=True),
        footer(_footer_text(requested_by, at)),
    ]


def _body(
    nodes: Sequence[FailedNode],
    size: int,
    cluster: str | None,
    release: ReleaseInfo | None,
    actions: NodeActions,
    requested_by: str | None,
    at: datetime,
    progress: Mapping[str, NodeProgress],
    fixed: frozenset[str],
) -> list[Element]:
    headline, color = _headline(nodes, progress, cluster)
    body = [text_block(headline, heading=True, size="large", weight="bolder", color=color)]
    if release:
        body.append(text_block(_release_text(release), subtle=True, spacing="none"))
    body += [_node_block(node, actions, progress.get(node.name), at, node.name in fixed)
             for node in nodes[:size]]
    hidden = len(nodes) - size
    if hidden > 0:
        more = f"… and {hidden} more failed {plural(hidden, 'node')}"
        if actions.reboot_all:
            more += " (not listed; “Reboot all failed” includes them)"
        body.append(text_block(more, weight="bolder", spacing="medium", separator=True))
    body.append(footer(_footer_text(requested_by, at)))
    return body


def _release_text(release: ReleaseInfo) -> str:
    text = f"Suspected release: {truncate(one_line(release.name), 100)}"
    if release.deployed_by:
        text += f", deployed by {truncate(one_line(release.deployed_by), 80)}"
    if release.deployed_at:
        text += f" at {fmt_time(release.deployed_at)}"
    return text


def _node_block(
    node: FailedNode,
    actions: NodeActions,
    progress: NodeProgress | None,
    at: datetime,
    healed_otherwise: bool = False,
) -> Element:
    """One node: name and state on the left, its Reboot button (if still useful) on the right."""
    details: list[Element] = [
        text_block(node.name, limit=NAME_LIMIT, weight="bolder"),
        text_block(_state_text(node, at), size="small", subtle=True, spacing="none"),
    ]
    columns: list[Element] = [{"type": "Column", "width": "stretch", "items": details}]
    action_id = actions.reboot.get(node.name)
    if action_id and (progress is None or progress.state not in _SETTLED):
        button = execute_action("Reboot", actions.reboot_verb, action_id)
        columns.append({"type": "Column", "width": "auto", "verticalContentAlignment": "center",
                        "items": [action_set([button])]})
    items: list[Element] = [{"type": "ColumnSet", "columns": columns}]
    if node.last_error:
        items.append(text_block(f"Last error: {prose(node.last_error)}", limit=ERROR_LIMIT,
                                size="small", spacing="small", max_lines=4))
    if progress and healed_otherwise:
        items.append(_healed_block(progress))
    elif progress:
        items.append(_progress_block(node, progress))
    return {"type": "Container", "separator": True, "spacing": "medium", "items": items}


def _healed_block(progress: NodeProgress) -> Element:
    """A node another job healed: `detail` names the job (e.g. "the rollback of web-2026.3")."""
    how = truncate(one_line(progress.detail), 160) or "another action"
    who = truncate(one_line(progress.by), 80)
    text = f"Healed by {how}, requested by {who} at {fmt_clock(progress.at)} ✔"
    return text_block(text, limit=500, weight="bolder", color="good", spacing="small")


def _state_text(node: FailedNode, at: datetime) -> str:
    state = truncate(one_line(node.state), 60)
    cluster = truncate(one_line(node.cluster), 80)
    since = f"{fmt_time(node.since)} ({fmt_duration(at - node.since)} ago)"
    return f"{state} since {since} · cluster {cluster}"


def _progress_block(node: FailedNode, progress: NodeProgress) -> Element:
    who = truncate(one_line(progress.by), 80)
    when = fmt_clock(progress.at)
    if progress.state == "running":
        name = truncate(one_line(node.name), NAME_LIMIT)
        text, color = f"⏳ Rebooting {name}, requested by {who} at {when}", "accent"
    elif progress.state == "succeeded":
        text, color = f"Rebooted by {who} at {when} ✔", "good"
    else:
        reason = truncate(prose(progress.detail), 200) or "no reason given"
        text, color = f"✖ Reboot failed: {reason} (requested by {who} at {when})", "attention"
    return text_block(text, limit=500, weight="bolder", color=color, spacing="small")


def _card_actions(
    nodes: Sequence[FailedNode],
    release: ReleaseInfo | None,
    actions: NodeActions,
    progress: Mapping[str, NodeProgress],
) -> list[Element]:
    """"Reboot all failed" while any node still needs it, and "Rollback <release>"."""
    result: list[Element] = []
    waiting = sum(1 for n in nodes if n.name not in progress or
                  progress[n.name].state not in _SETTLED)
    if actions.reboot_all and waiting:
        result.append(execute_action(f"Reboot all failed ({waiting})", actions.reboot_all_verb,
                                     actions.reboot_all, style="destructive"))
    if release and actions.rollback:
        result.append(execute_action(f"Rollback {release.name}", actions.rollback_verb,
                                     actions.rollback, style="destructive"))
    return result


def _footer_text(requested_by: str | None, at: datetime) -> str:
    if requested_by:
        return f"Listed for {truncate(one_line(requested_by), 80)} · as of {fmt_time(at)}"
    return f"Reported automatically · as of {fmt_time(at)}"
