"""The shipped example policy names only permissions that real commands and buttons use."""

from __future__ import annotations

from pathlib import Path

from teams_bot.app import command_registry
from teams_bot.policy import load_policy

EXAMPLE = Path(__file__).resolve().parent.parent / "infra" / "policy.example.toml"
BUTTON_PERMISSIONS = {"nodes.reboot", "release.rollback"}  # see teams_bot/features/nodes/


def test_every_exact_permission_in_the_example_exists() -> None:
    policy = load_policy(EXAMPLE)
    known = {c.permission for c in command_registry().commands()} | BUTTON_PERMISSIONS
    exact = {p for role in policy.roles.values() for p in role.permissions if "*" not in p}
    assert exact <= known, f"unknown permissions in the example: {sorted(exact - known)}"


def test_the_default_role_can_see_failed_nodes_and_decide_approvals() -> None:
    policy = load_policy(EXAMPLE)
    granted = policy.permissions_of(policy.default_roles)
    assert {"help", "nodes.read", "approvals"} <= granted


def test_trial_policy_lets_a_console_user_act_and_grace_approve() -> None:
    from teams_bot.console.activities import Person

    trial = load_policy(EXAMPLE.with_name("policy.trial.toml"))
    assert {"nodes.*", "release.*", "approvals"} <= trial.permissions_of(trial.default_roles)
    grace = Person.named("Grace Hopper").aad_object_id
    assert ("ops-lead", "user binding") in trial.roles_for(grace)
    rollback, override = trial.approval_rules
    assert rollback.commands == ("release.rollback",)
    assert rollback.approvers == ("ops-lead",) and rollback.require_reason
    assert override.commands == ("freeze.override",) and override.approvers == ("ops-lead",)
