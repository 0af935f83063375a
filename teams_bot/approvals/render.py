"""How an approval looks on its card, and the signed ids behind its buttons."""

from __future__ import annotations

from typing import Any

from cards.approval import ApprovalView, approval_card
from cards.common import with_notice as _with_notice
from teams_bot.actions.signing import ActionSigner
from teams_bot.approvals.models import Approval

_PREFIX = "ap-"
REFRESH_VERB = "approval.refresh"


def token_for(signer: ActionSigner, approval_id: str) -> str:
    return signer.token(_PREFIX + approval_id)


def approval_id_of(signer: ActionSigner, token: object) -> str | None:
    inner = signer.verify(token)
    if inner is None or not inner.startswith(_PREFIX):
        return None
    return inner.removeprefix(_PREFIX)


def with_notice(card: dict[str, Any], text: str) -> dict[str, Any]:
    return _with_notice(card, text) if text else card


def card(approval: Approval, signer: ActionSigner, *, for_requester: bool) -> dict[str, Any]:
    token = token_for(signer, approval.id)
    pending = approval.state == "pending"
    requester_ids = [approval.requester_teams_id] if approval.requester_teams_id else []
    return approval_card(
        view(approval),
        approve_id=token if pending and not for_requester else None,
        deny_id=token if pending and not for_requester else None,
        cancel_id=token if pending and for_requester else None,
        refresh_verb=REFRESH_VERB if pending else None,
        refresh_user_ids=requester_ids,
        refresh_action_id=token,
    )


def view(approval: Approval) -> ApprovalView:
    """What the card shows of an approval."""
    denial = approval.denial
    return ApprovalView(
        id=approval.id,
        state=approval.state,
        requester=approval.requester_name,
        summary=approval.summary,
        approver_roles=approval.approver_roles,
        quorum=approval.quorum,
        created_at=approval.created_at,
        expires_at=approval.expires_at,
        command=approval.text,
        arguments=approval.arguments,
        reason=approval.reason,
        rule_description=approval.rule_description,
        approvals=[(v.voter_name, v.at) for v in approval.votes if v.decision == "approve"],
        denial=(denial.voter_name, denial.reason, denial.at) if denial else None,
        decided_at=approval.decided_at,
        result=str((approval.result or {}).get("text", "")),
        updated_at=approval.updated_at,
    )
