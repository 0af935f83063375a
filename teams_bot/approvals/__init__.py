"""Four-eyes approvals: what policy requires (Requirement), the stored request and its votes."""

from teams_bot.approvals.models import (
    Approval,
    ApprovalState,
    Outcome,
    Requirement,
    Vote,
    VoteResult,
    new_approval_id,
    normalise_id,
)
from teams_bot.approvals.store import ApprovalStateError, ApprovalStore

__all__ = [
    "Approval",
    "ApprovalState",
    "ApprovalStateError",
    "ApprovalStore",
    "Outcome",
    "Requirement",
    "Vote",
    "VoteResult",
    "new_approval_id",
    "normalise_id",
]
