"""Four-eyes approvals as plain data: what policy requires, the request, its votes and outcome."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

ApprovalState = Literal[
    "pending", "approved", "denied", "cancelled", "expired", "running", "succeeded", "failed"
]
Decision = Literal["approve", "deny"]
Outcome = Literal[
    "recorded",
    "approved",
    "denied",
    "duplicate",
    "closed",
    "expired",
    "self",
    "unknown",
    "forbidden",
]

# No 0/O, 1/I: ids are read aloud and typed by people. 32 symbols, 6 of them: ~1e9 ids.
ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ID_LENGTH = 6


def new_approval_id() -> str:
    """A short, random, human-typable id such as "A7K3F2"."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def normalise_id(approval_id: str) -> str:
    """Ids are compared without regard to case or surrounding blanks."""
    return approval_id.strip().upper()


@dataclass(frozen=True)
class Requirement:
    """What policy asks before a command may run: who approves, how many, how long."""

    rule: str  # the policy place, e.g. "approval_rules[1]"
    description: str
    approver_roles: tuple[str, ...]
    quorum: int
    require_reason: bool
    expires: timedelta


@dataclass(frozen=True)
class Vote:
    voter_id: str
    voter_name: str
    decision: Decision
    reason: str
    at: datetime


@dataclass(frozen=True)
class Approval:
    """One request for approval, as stored; the orchestrator builds it from a Requirement."""

    id: str
    state: ApprovalState
    tenant_id: str
    conversation_id: str
    activity_id: str  # the approval card's message id ("" until posted)
    requester_id: str
    requester_name: str
    requester_teams_id: str
    kind: str  # "command" (a typed command line) | "action" (a card button)
    command: str  # command name, e.g. "nodes reboot"
    text: str  # kind=command: the exact command line to run; else ""
    action_id: str  # kind=action: the card action record id; else ""
    arguments: dict[str, Any]  # what will run, for display and audit
    summary: str  # one sentence of exactly what will run
    reason: str
    where: dict[str, str]  # team_id, channel_id, conversation_type, service_url
    approver_roles: tuple[str, ...]
    quorum: int
    rule: str
    rule_description: str
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None  # when it left "pending"
    votes: tuple[Vote, ...] = ()
    result: dict[str, Any] | None = None
    updated_at: datetime | None = None  # last state change (running, succeeded, ...)

    @property
    def approvals(self) -> int:
        return sum(1 for vote in self.votes if vote.decision == "approve")

    @property
    def denial(self) -> Vote | None:
        return next((vote for vote in self.votes if vote.decision == "deny"), None)


@dataclass(frozen=True)
class WorkOutcome:
    """What an approved piece of work did."""

    ok: bool
    text: str  # one line for the approval card
    reply: Any = None  # what a command answered (a Reply), posted in the conversation


@dataclass(frozen=True)
class VoteResult:
    approval: Approval | None  # the state after the call; None only for "unknown"
    outcome: Outcome
