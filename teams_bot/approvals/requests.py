"""A request for approval before it is filed: plain JSON, so a dialog can carry it across turns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from teams_bot.approvals.models import Approval, Requirement
from teams_bot.identity import Caller, Where


def pending_request(
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
) -> dict[str, Any]:
    """Everything needed to file the approval later, as JSON-ready values."""
    return {
        "kind": kind,
        "command": command,
        "text": text,
        "action_id": action_id,
        "arguments": {k: _jsonable(v) for k, v in arguments.items()},
        "summary": summary,
        "requester_id": caller.aad_object_id,
        "requester_name": caller.display_name or caller.aad_object_id,
        "requester_teams_id": caller.teams_id,
        "tenant_id": caller.tenant_id,
        "where": {
            "conversation_id": where.conversation_id,
            "conversation_type": where.conversation_type,
            "team_id": where.team_id,
            "channel_id": where.channel_id,
            "service_url": where.service_url,
        },
        "rule": requirement.rule,
        "rule_description": requirement.description or requirement.rule,
        "approver_roles": list(requirement.approver_roles),
        "quorum": requirement.quorum,
        "require_reason": requirement.require_reason,
        "expires_s": requirement.expires.total_seconds(),
        "correlation_id": correlation_id,
    }


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def requester_of(request: Mapping[str, Any]) -> Caller:
    return Caller(
        aad_object_id=request["requester_id"],
        tenant_id=request["tenant_id"],
        display_name=request["requester_name"],
        teams_id=request.get("requester_teams_id", ""),
    )


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
