"""The console's start-up hint about roles, in the words of the policy in use (no role names
that policy lacks)."""

from __future__ import annotations

from pathlib import Path

from teams_bot.console.activities import Person
from teams_bot.policy import BUILTIN_DEFAULT_PERMISSIONS, Policy

TRIAL_POLICY = "infra/policy.trial.toml"


def suggested_role(policy: Policy) -> str | None:
    """The role worth binding to try things: one granting everything, else one that approves or
    that argument rules ask for, else any role not given to everyone anyway."""
    extra = [name for name in policy.roles if name not in policy.default_roles]
    wanted = [r for rule in policy.approval_rules for r in rule.approvers]
    wanted += [rule.require_role for rule in policy.argument_rules]
    for candidates in (
        [n for n in extra if "*" in policy.roles[n].permissions],
        [n for n in wanted if n in extra],
        extra,
        list(policy.roles),
    ):
        if candidates:
            return candidates[0]
    return None


def role_hint(policy: Policy, policy_file: Path | None, person: Person) -> list[str]:
    """Lines saying where roles come from and how to give `person` one."""
    if policy_file is None:
        allowed = ", ".join(BUILTIN_DEFAULT_PERMISSIONS)
        return [
            f"TEAMS_BOT_POLICY_FILE is not set: everyone may run {allowed}, nothing more. "
            f"To try the rest, set TEAMS_BOT_POLICY_FILE={TRIAL_POLICY}."
        ]
    role = suggested_role(policy)
    if role is None:
        return [f"Roles come from {policy_file}, which defines no roles."]
    return [
        f"Roles come from {policy_file} (roles: {', '.join(policy.roles)}). To give "
        f"{person.name} a role, bind the AAD object id in the policy:",
        f'  [bindings.users]\n  "{person.aad_object_id}" = ["{role}"]',
    ]
