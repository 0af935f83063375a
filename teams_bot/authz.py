"""The one authorization check for typed commands and card actions.

`identify` fills in a caller's roles (defaults, user bindings, group bindings through Graph);
`check` decides one command: the permission, then channel rules, then argument rules. Every
refusal carries a sentence for the person and what was missing, for the audit. `approval_for`
says whether an allowed command must first be approved by others (four eyes), and
`may_approve` whether someone may approve it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

from teams_bot.approvals.models import Requirement
from teams_bot.graph import GroupLookupError, GroupResolver
from teams_bot.identity import Caller, Where
from teams_bot.policy import (
    ApprovalRule,
    ArgumentRule,
    ChannelRule,
    ConditionKind,
    ConditionValue,
    Policy,
    allows,
    command_key,
)

__all__ = ["Authorizer", "Decision", "GroupLookupError"]

log = logging.getLogger(__name__)

ALLOWED_REASON = "allowed"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # a sentence for the person when refused
    missing: str = ""  # the permission, role or rule that refused, for the audit


ALLOW = Decision(True, ALLOWED_REASON)


class Authorizer:
    def __init__(self, policy: Policy, groups: GroupResolver | None) -> None:
        self.policy = policy
        self.groups = groups
        if policy.group_ids and groups is None:
            log.warning("the policy binds Azure AD groups but Graph is off: they grant nothing")

    async def identify(self, caller: Caller) -> Caller:
        """The caller with roles and sources; GroupLookupError if Graph is needed and fails."""
        sourced = self.policy.roles_for(caller.aad_object_id)
        sourced += await self._group_roles(caller.aad_object_id)
        sourced = list(dict.fromkeys(sourced))
        return replace(caller, roles=frozenset(r for r, _ in sourced), role_sources=tuple(sourced))

    async def _group_roles(self, aad_object_id: str) -> list[tuple[str, str]]:
        ids = self.policy.group_ids
        if not ids or self.groups is None or not aad_object_id:
            return []
        try:
            member = await self.groups.member_of(aad_object_id, ids)
        except GroupLookupError:
            raise
        except Exception as exc:  # a resolver bug must refuse, never allow
            log.exception("group lookup failed")
            raise GroupLookupError("the group lookup failed") from exc
        return [
            (role, binding.source)
            for gid, binding in self.policy.group_roles.items()
            if gid in member
            for role in binding.roles
        ]

    def permissions(self, caller: Caller) -> frozenset[str]:
        return self.policy.permissions_of(caller.roles)

    def check(
        self,
        caller: Caller,
        where: Where,
        permission: str,
        command: str,
        arguments: Mapping[str, object],
    ) -> Decision:
        """Permission, then channel rules, then argument rules; the first refusal wins."""
        if not allows(self.permissions(caller), permission):
            roles = ", ".join(sorted(caller.roles)) or "none"
            return Decision(
                False,
                f"'{command}' needs the permission '{permission}', which your roles ({roles}) "
                "do not grant.",
                missing=permission,
            )
        key = command_key(command)
        for rule in self.policy.channel_rules:
            refusal = _channel_refusal(rule, where) if matches(rule.commands, key) else None
            if refusal:
                return Decision(False, f"'{command}' may not run {refusal}.", missing=rule.place)
        args = _normalised(arguments)
        for arule in self.policy.argument_rules:
            if matches(arule.commands, key) and arule.require_role not in caller.roles:
                if arule.argument in args and _condition_holds(
                    arule.kind, arule.value, args[arule.argument]
                ):
                    return _role_needed(arule, command)
        return ALLOW

    def approval_for(
        self, caller: Caller, where: Where, command: str, arguments: Mapping[str, object]
    ) -> Requirement | None:
        """What the first matching approval rule requires, or None to run at once.

        Who asks does not matter: holding an approver role exempts nobody (four eyes).
        """
        key, args = command_key(command), _normalised(arguments)
        for rule in self.policy.approval_rules:
            if matches(rule.commands, key) and _approval_applies(rule, args):
                return _requirement(rule, command)
        return None

    def may_approve(self, caller: Caller, requirement_roles: Sequence[str]) -> bool:
        """True if the (identified) caller holds any of the approver roles."""
        return not caller.roles.isdisjoint(requirement_roles)


def _normalised(arguments: Mapping[str, object]) -> dict[str, object]:
    return {name.lower().replace("-", "_"): value for name, value in arguments.items()}


def _approval_applies(rule: ApprovalRule, args: Mapping[str, object]) -> bool:
    if rule.kind is None:
        return True
    return rule.argument in args and _condition_holds(rule.kind, rule.value, args[rule.argument])


def _requirement(rule: ApprovalRule, command: str) -> Requirement:
    described = f"'{command}'"
    if rule.kind is not None:
        described += f" with {_condition_text(rule.kind, rule.value, rule.argument)}"
    return Requirement(
        rule=rule.place,
        description=rule.description or described,
        approver_roles=rule.approvers,
        quorum=rule.quorum,
        require_reason=rule.require_reason,
        expires=rule.expires,
    )


def matches(patterns: Sequence[str], key: str) -> bool:
    return any(fnmatchcase(key, pattern) for pattern in patterns)


def _channel_refusal(rule: ChannelRule, where: Where) -> str | None:
    """Why `where` is not allowed by the rule ("in 1:1 chat"), or None if it is."""
    kind = where.conversation_type
    if kind == "personal":
        return None if rule.personal else "in 1:1 chat"
    if kind == "groupChat":
        return None if rule.group_chat else "in group chats"
    if kind != "channel":
        return f"in a conversation of type '{kind or '?'}'"  # unknown: refuse when restricted
    if rule.teams is None and rule.channels is None:
        return None
    if where.team_id in (rule.teams or ()) and where.team_id:
        return None
    if where.channel_id in (rule.channels or ()) and where.channel_id:
        return None
    return "in this channel"


def _condition_holds(kind: ConditionKind, expected: ConditionValue, value: object) -> bool:
    if kind == "count_over":
        return isinstance(expected, int) and count_of(value) > expected
    texts = [_text(v) for v in value] if isinstance(value, list | tuple) else [_text(value)]
    if kind == "equals":
        return any(t == expected for t in texts)
    if kind == "one_of":
        return any(t in expected for t in texts if isinstance(expected, tuple))
    return any(fnmatchcase(t, str(expected)) for t in texts)  # "matches": a glob


def count_of(value: object) -> int:
    """How many items an argument names: list items, or comma/space separated words."""
    if isinstance(value, list | tuple | set | frozenset):
        return len(value)
    if value is None or isinstance(value, bool):
        return 0
    return len(str(value).replace(",", " ").split())


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value).casefold()


def _role_needed(rule: ArgumentRule, command: str) -> Decision:
    what = rule.description or _describe(rule, command)
    return Decision(False, f"{what} needs the role '{rule.require_role}'.", rule.require_role)


def _describe(rule: ArgumentRule, command: str) -> str:
    """A default description of the condition: "'nodes reboot' with more than 3 'nodes'"."""
    return f"'{command}' with {_condition_text(rule.kind, rule.value, rule.argument)}"


def _condition_text(kind: ConditionKind, value: ConditionValue, argument: str) -> str:
    arg = f"'{argument}'"
    return {
        "count_over": f"more than {value} {arg}",
        "equals": f"{arg} = {value}",
        "one_of": f"{arg} in ({', '.join(value) if isinstance(value, tuple) else ''})",
        "matches": f"{arg} matching {value}",
    }[kind]
