"""The reboot card: `nodes reboot web-07 web-11`, each node's state as it goes."""

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
)
from cards.models import NodeProgress
from cards.text import fmt_clock, fmt_time, one_line, prose, truncate

VERB_REBOOT_RETRY = "reboot.node"
NAME_LIMIT = 120
_WORDS = {"running": ("⏳ rebooting", "accent"), "succeeded": ("✔ rebooted", "good")}


def reboot_card(
    nodes: Sequence[str],
    progress: Mapping[str, NodeProgress],
    *,
    requested_by: str,
    at: datetime,
    retry: Mapping[str, str] | None = None,
) -> Card:
    """One line per node (waiting, rebooting, rebooted, failed) and a Retry button where the
    bot offers one (after an interruption)."""
    retry = retry or {}
    done = sum(1 for n in nodes if n in progress and progress[n].state == "succeeded")
    body: list[Element] = [
        text_block(f"Reboot of {len(nodes)} node(s): {done} done", size="medium", weight="bolder"),
    ]
    for node in nodes:
        body.append(_node_line(node, progress.get(node)))
        if node in retry and _may_retry(progress.get(node)):
            button = execute_action(f"Retry {truncate(one_line(node), 40)}", VERB_REBOOT_RETRY,
                                    retry[node])
            body.append(action_set([button], spacing="none"))
    body.append(footer(f"Requested by {truncate(one_line(requested_by), 80)} · {fmt_time(at)}"))
    return adaptive_card(body, fallback_text=f"Reboot of {len(nodes)} node(s)")


def _may_retry(progress: NodeProgress | None) -> bool:
    return progress is not None and progress.state == "failed"


def _node_line(node: str, progress: NodeProgress | None) -> Element:
    name = truncate(one_line(node), NAME_LIMIT)
    if progress is None:
        return text_block(f"{name}: waiting", subtle=True, spacing="small")
    if progress.state in _WORDS:
        words, color = _WORDS[progress.state]
        text = f"{name}: {words} ({truncate(one_line(progress.by), 80)}, {fmt_clock(progress.at)})"
        return text_block(text, color=color, spacing="small")
    reason = truncate(prose(progress.detail), 200) or "no reason given"
    return text_block(f"{name}: ✖ failed: {reason}", color="attention", spacing="small")
