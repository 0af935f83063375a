"""A request for approval before it is filed: typed, and plain JSON for a dialog to carry it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from teams_bot.approvals.models import Approval, Requirement
from teams_bot.identity import Caller, Where


@dataclass(frozen=True)
class ApprovalRequest:
    """Everything needed to file an approval later (after a reason prompt, maybe a restart)."""

    kind: str  # "command" (a typed command line) | "action" (a card button)
    command: str
    text: str  # kind=command: the exact command line
    action_id: str  # kind=action: the card action record id
    arguments: dict[str, Any]
    summary: str
    requester_id: str
    requester_name: str
    requester_teams_id: str
    tenant_id: str
    where: dict[str, str]
    rule: str
    rule_description: str
    approver_roles: tuple[str, ...]
    quorum: int
    require_reason: bool
    expires_s: float
    correlation_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        caller: Caller,
        where: Where,
        kind: str,
        command: str,
        text: str,
        action_id: str,
        arguments: Mapping[str, object],
        summary: str,
        requirement: Requirement,
        correlation_id: str,
    ) -> ApprovalRequest:
        return cls(
            kind=kind,
            command=command,
            text=text,
            action_id=action_id,
            arguments={k: _jsonable(v) for k, v in arguments.items()},
            summary=summary,
            requester_id=caller.aad_object_id,
            requester_name=caller.display_name or caller.aad_object_id,
            requester_teams_id=caller.teams_id,
            tenant_id=caller.tenant_id,
            where=where_dict(where),
            rule=requirement.rule,
            rule_description=requirement.description or requirement.rule,
            approver_roles=tuple(requirement.approver_roles),
            quorum=requirement.quorum,
            require_reason=requirement.require_reason,
            expires_s=requirement.expires.total_seconds(),
            correlation_id=correlation_id,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["approver_roles"] = list(self.approver_roles)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApprovalRequest:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["approver_roles"] = tuple(known.get("approver_roles", ()))
        return cls(**known)

    @property
    def requester(self) -> Caller:
        return Caller(
            aad_object_id=self.requester_id,
            tenant_id=self.tenant_id,
            display_name=self.requester_name,
            teams_id=self.requester_teams_id,
        )


def where_dict(where: Where) -> dict[str, str]:
    return {
        "conversation_id": where.conversation_id,
        "conversation_type": where.conversation_type,
        "team_id": where.team_id,
        "channel_id": where.channel_id,
        "service_url": where.service_url,
    }


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def requester(approval: Approval) -> Caller:
    """The person who asked for an approval, as they were identified when asking."""
    return Caller(
        aad_object_id=approval.requester_id,
        tenant_id=approval.tenant_id,
        display_name=approval.requester_name,
        teams_id=approval.requester_teams_id,
    )


def place(approval: Approval) -> Where:
    """Where an approval was asked for."""
    return where_of(approval.where, approval.conversation_id, approval.tenant_id)


def where_of(stored: Mapping[str, str], conversation_id: str, tenant_id: str) -> Where:
    return Where(
        conversation_id=conversation_id,
        conversation_type=stored.get("conversation_type", "personal"),
        tenant_id=tenant_id,
        team_id=stored.get("team_id", ""),
        channel_id=stored.get("channel_id", ""),
        service_url=stored.get("service_url", ""),
    )
