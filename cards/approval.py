"""The four-eyes approval card: who asks, exactly what will run, why, who may approve, outcome.

One card follows a request from "pending" to its end and is updated in place. Buttons appear
only while pending and only for the action ids the server minted: Approve, Deny (with an
optional reason typed into the card) and, in the requester's view, Cancel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cards.common import (
    Card,
    Element,
    adaptive_card,
    execute_action,
    fact_set,
    footer,
    monospace_block,
    text_block,
    with_refresh,
)
from cards.size import fit_card
from cards.text import fmt_clock, fmt_duration, fmt_time, one_line, prose, tail_lines, truncate

VERB_APPROVAL_APPROVE = "approval.approve"
VERB_APPROVAL_DENY = "approval.deny"
VERB_APPROVAL_CANCEL = "approval.cancel"
REASON_INPUT_ID = "reason"  # sent in the invoke's action.data beside actionId
REASON_MAX_LENGTH = 500
MAX_ARGUMENTS = 20
MAX_APPROVERS_SHOWN = 10
RESULT_MAX_LINES = 20
RESULT_MAX_CHARS = 4_000

ApprovalCardState = Literal[
    "pending", "approved", "denied", "cancelled", "expired", "running", "succeeded", "failed"
]


@dataclass(frozen=True)
class ApprovalView:
    """What the approval card shows; every text field is untrusted."""

    id: str
    state: ApprovalCardState
    requester: str
    summary: str  # one sentence of exactly what will run
    approver_roles: Sequence[str]
    quorum: int
    created_at: datetime
    expires_at: datetime
    command: str = ""  # the exact command line, shown monospace
    arguments: Mapping[str, object] = field(default_factory=dict)  # name -> value (lists ok)
    reason: str = ""
    rule_description: str = ""
    approvals: Sequence[tuple[str, datetime]] = ()  # (approver name, when)
    denial: tuple[str, str, datetime] | None = None  # (name, reason, when)
    decided_at: datetime | None = None
    result: str = ""  # output tail or status text (running, succeeded, failed)
    updated_at: datetime | None = None  # last change (e.g. when the run finished)


# state -> (heading, TextBlock color)
_HEADINGS: dict[str, tuple[str, str]] = {
    "pending": ("🔐 Approval needed", "warning"),
    "approved": ("✅ Approved", "good"),
    "running": ("⏳ Approved · running", "accent"),
    "succeeded": ("✅ Approved · succeeded", "good"),
    "failed": ("❌ Approved · failed", "attention"),
    "denied": ("⛔ Denied", "attention"),
    "cancelled": ("↩️ Cancelled", "default"),
    "expired": ("⌛ Expired", "warning"),
}


def approval_card(
    view: ApprovalView,
    *,
    approve_id: str | None,
    deny_id: str | None,
    cancel_id: str | None,
    refresh_verb: str | None = None,
    refresh_user_ids: Sequence[str] = (),
    refresh_action_id: str | None = None,
) -> Card:
    """The approval request as a card; buttons only while pending and only for given ids."""
    heading, color = _HEADINGS[view.state]
    body: list[Element] = [
        text_block(heading, heading=True, size="large", weight="bolder", color=color),
        text_block(f"{view.requester} {_asks(view)} to run:", spacing="small"),
        text_block(view.summary, weight="bolder", spacing="small"),
        *_command(view),
        *_arguments(view.arguments),
        fact_set(_request_facts(view)),
        *_status(view),
        footer(f"Request {view.id} · opened {fmt_time(view.created_at)}"),
    ]
    actions = _buttons(approve_id, deny_id, cancel_id) if view.state == "pending" else []
    summary = truncate(one_line(view.summary), 100)
    card = adaptive_card(body, actions, fallback_text=f"{heading}: {summary}")
    return fit_card(with_refresh(card, refresh_verb, refresh_user_ids, refresh_action_id))


def needs_text(view: ApprovalView) -> str:
    """Who may approve, e.g. "2 approvals from ops-lead or admin"."""
    roles = list(view.approver_roles)
    shown = " or ".join(roles[:MAX_APPROVERS_SHOWN]) or "(no role)"
    if len(roles) > MAX_APPROVERS_SHOWN:
        shown += f" (+{len(roles) - MAX_APPROVERS_SHOWN} more roles)"
    noun = "approval" if view.quorum == 1 else "approvals"
    return f"{view.quorum} {noun} from {shown}"


def _command(view: ApprovalView) -> list[Element]:
    if not view.command:
        return []
    return [text_block(f"$ {view.command}", monospace=True, spacing="small", size="small")]


def _arguments(arguments: Mapping[str, object]) -> list[Element]:
    """The arguments (targets included) as a fact set: name -> value."""
    items = list(arguments.items())
    facts = [(name, _value(value)) for name, value in items[:MAX_ARGUMENTS]]
    if len(items) > MAX_ARGUMENTS:
        facts.append(("…", f"and {len(items) - MAX_ARGUMENTS} more arguments"))
    return [fact_set(facts)] if facts else []


def _request_facts(view: ApprovalView) -> list[tuple[str, str]]:
    facts = [
        ("Why", prose(view.reason) or "(no reason given)"),
        ("Needs", needs_text(view)),
        ("Policy", view.rule_description),
    ]
    if view.state == "pending":
        span = fmt_duration(view.expires_at - view.created_at)
        facts.append(("Expires", f"{_when(view.expires_at, view.created_at)} (open for {span})"))
    return facts


def _value(value: object) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(item) for item in value) or "(none)"
    return "(none)" if value is None or value == "" else str(value)


def _status(view: ApprovalView) -> list[Element]:
    progress = _progress(view)
    elements = [text_block(progress, spacing="medium")] if progress else []
    outcome = _outcome(view)
    if outcome:
        color = "attention" if view.state in ("denied", "failed") else "default"
        elements.append(text_block(outcome, weight="bolder", color=color, spacing="small"))
    if view.state == "denied":
        reason = prose(view.denial[1]) if view.denial else ""
        elements.append(text_block(f"Reason: {reason or '(none given)'}", spacing="none"))
    if view.result and view.state in ("running", "succeeded", "failed"):
        elements += _result(view.result)
    return elements


def _progress(view: ApprovalView) -> str:
    """Progress, e.g. "Approvals: 1 of 2 · Bob Builder 14:03 UTC"."""
    if view.state in ("cancelled", "expired") and not view.approvals:
        return ""
    who = ", ".join(f"{_name(name)} {fmt_clock(at)}" for name, at in view.approvals)
    count = f"Approvals: {len(view.approvals)} of {view.quorum}"
    return f"{count} · {who}" if who else count


def _outcome(view: ApprovalView) -> str:
    decided = view.decided_at or view.updated_at or view.created_at
    finished = view.updated_at or decided
    if view.state == "denied":
        name, _, at = view.denial or ("an approver", "", decided)
        return f"Denied by {_name(name)} at {fmt_clock(at)} — nothing ran."
    return {
        "pending": "",
        "approved": f"Approved at {fmt_clock(decided)}. Starting now.",
        "running": f"Approved at {fmt_clock(decided)}. Running now.",
        "succeeded": f"Succeeded at {fmt_clock(finished)}.",
        "failed": f"Failed at {fmt_clock(finished)}.",
        "cancelled": f"Cancelled by the requester at {fmt_clock(decided)}. Nothing ran.",
        "expired": f"Expired at {fmt_clock(view.expires_at)} — nothing ran.",
    }[view.state]


def _result(result: str) -> list[Element]:
    lines, cut = tail_lines(result, RESULT_MAX_LINES, RESULT_MAX_CHARS, 300)
    if not lines:
        return []
    return [monospace_block(lines, note="… earlier output left out" if cut else None)]


def _asks(view: ApprovalView) -> str:
    return "asks" if view.state == "pending" else "asked"


def _name(name: str) -> str:
    return truncate(one_line(name), 60)


def _when(moment: datetime, since: datetime) -> str:
    """HH:MM UTC on the same day, else the full date."""
    return fmt_clock(moment) if moment.date() == since.date() else fmt_time(moment)


def _buttons(approve_id: str | None, deny_id: str | None, cancel_id: str | None) -> list[Element]:
    buttons: list[Element] = []
    if approve_id:
        buttons.append(
            execute_action("Approve", VERB_APPROVAL_APPROVE, approve_id, style="positive")
        )
    if deny_id:
        buttons.append(_deny(deny_id))
    if cancel_id:
        buttons.append(execute_action("Cancel request", VERB_APPROVAL_CANCEL, cancel_id))
    return buttons


def _deny(deny_id: str) -> Element:
    """A "Deny…" button opening a reason box and the real Deny (the reason rides in data)."""
    reason: Element = {
        "type": "Input.Text",
        "id": REASON_INPUT_ID,
        "placeholder": "Why? (optional)",
        "maxLength": REASON_MAX_LENGTH,
        "isMultiline": True,
        "label": "Reason for denying",
    }
    deny = execute_action("Deny", VERB_APPROVAL_DENY, deny_id, style="destructive")
    return {
        "type": "Action.ShowCard",
        "title": "Deny…",
        "card": {"type": "AdaptiveCard", "body": [reason], "actions": [deny]},
    }
