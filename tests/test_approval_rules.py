"""Approval rules: parsing with exact error places, and Authorizer.approval_for / may_approve."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from teams_bot.approvals import Requirement
from teams_bot.authz import Authorizer
from teams_bot.identity import Caller, Where
from teams_bot.policy import (
    DEFAULT_APPROVAL_EXPIRES,
    ApprovalRule,
    Policy,
    PolicyError,
    load_policy,
    parse_policy,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "infra" / "policy.example.toml"
ROLES = '[roles.ops]\npermissions = ["*"]\n[roles.ops-lead]\npermissions = ["*"]\n'
RULE = '[[approval_rules]]\ncommands = ["deploy"]\napprovers = ["ops-lead"]\n'
HERE = Where("19:x", "channel", team_id="team", channel_id="chan")


def parse(text: str) -> Policy:
    return parse_policy(tomllib.loads(text + "\n" + ROLES), "p.toml")


def authorizer(text: str) -> Authorizer:
    return Authorizer(parse(text), None)


def caller(roles: Sequence[str] = ()) -> Caller:
    return Caller("oid-a", "tenant", "Alice", roles=frozenset(roles))


def test_defaults() -> None:
    (rule,) = parse(RULE).approval_rules
    assert rule == ApprovalRule(
        commands=("deploy",),
        approvers=("ops-lead",),
        quorum=1,
        require_reason=False,
        expires=timedelta(minutes=60),
        place="approval_rules[1]",
    )
    assert DEFAULT_APPROVAL_EXPIRES == timedelta(minutes=60)
    assert parse("").approval_rules == ()


def test_every_key() -> None:
    policy = parse(
        'approval_expires = "2h"\n'
        '[[approval_rules]]\ncommands = ["deploy", "Release Rollback"]\nargument = "Env"\n'
        'one_of = ["Prod", "production"]\napprovers = ["ops-lead", "ops"]\nquorum = 2\n'
        'require_reason = true\nexpires = "1h30m"\ndescription = "production deploys"\n' + RULE
    )
    first, second = policy.approval_rules
    assert first.commands == ("deploy", "release.rollback")
    assert (first.argument, first.kind, first.value) == ("env", "one_of", ("prod", "production"))
    assert first.approvers == ("ops-lead", "ops") and first.quorum == 2
    assert first.require_reason and first.expires == timedelta(minutes=90)
    assert first.description == "production deploys"
    assert second.expires == timedelta(hours=2) == policy.approval_expires
    assert second.place == "approval_rules[2]"


def test_example_policy_has_approval_rules() -> None:
    policy = load_policy(EXAMPLE)
    assert [r.place for r in policy.approval_rules] == [
        "approval_rules[1]", "approval_rules[2]", "approval_rules[3]"
    ]
    prod = Authorizer(policy, None).approval_for(
        caller(), HERE, "deploy", {"service": "api", "env": "PROD"}
    )
    assert prod == Requirement(
        "approval_rules[2]", "production deploys", ("ops-lead",), 2, True, timedelta(minutes=30)
    )
    rollback = Authorizer(policy, None).approval_for(
        caller(), HERE, "release rollback", {"release": "web-1"}
    )
    assert rollback == Requirement(
        "approval_rules[1]", "release rollbacks", ("ops-lead",), 1, True, timedelta(minutes=30)
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("approval_rules = {}", r"'approval_rules' must be an array of tables"),
        ("approval_rules = [1]", r"approval_rules\[1\] must be a table"),
        (RULE + "quorom = 2", r"approval_rules\[1\]: unknown key\(s\) quorom"),
        ('[[approval_rules]]\napprovers = ["ops"]', r"approval_rules\[1\] needs 'commands'"),
        ('[[approval_rules]]\ncommands = ["a"]', r"approval_rules\[1\] needs 'approvers'"),
        (RULE.replace('["ops-lead"]', "[]"), r"\[1\]\.approvers must name at least one role"),
        (RULE.replace('["ops-lead"]', '"ops"'), r"\[1\]\.approvers must be a list of strings"),
        (RULE.replace('["ops-lead"]', '["boss"]'), r"\[1\]\.approvers names unknown role.*boss"),
        (RULE + "quorum = 0", r"approval_rules\[1\]\.quorum must be a whole number >= 1"),
        (RULE + "quorum = true", r"approval_rules\[1\]\.quorum must be a whole number"),
        (RULE + 'quorum = "2"', r"approval_rules\[1\]\.quorum must be a whole number"),
        (RULE + "require_reason = 1", r"\[1\]\.require_reason must be true or false"),
        (RULE + 'expires = "soon"', r"approval_rules\[1\]\.expires must be a duration like"),
        (RULE + 'expires = "0m"', r"approval_rules\[1\]\.expires must be longer than zero"),
        (RULE + 'expires = "60d"', r"approval_rules\[1\]\.expires must be at most 30d"),
        (RULE + "expires = 30", r"approval_rules\[1\]\.expires must be a string"),
        (RULE + "description = 3", r"approval_rules\[1\]\.description must be a string"),
        (RULE + 'argument = "env"', r"approval_rules\[1\] needs exactly one condition.*found 0"),
        (RULE + 'argument = "e"\nequals = "a"\none_of = ["b"]', r"exactly one .*found 2"),
        (RULE + 'equals = "prod"', r"approval_rules\[1\]: a condition needs 'argument'"),
        (RULE + 'argument = "e"\nmatches = "[ab]"', r"\[1\]\.matches: use only \* and \?"),
        (RULE + 'argument = "e"\ncount_over = -1', r"\[1\]\.count_over must be a whole"),
        ('approval_expires = "x"', r"p\.toml: approval_expires must be a duration like"),
        ("approval_expires = 5", r"p\.toml: approval_expires must be a string"),
    ],
)
def test_errors_name_the_place(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse(text)


def test_second_rule_is_named(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(RULE + RULE + "quorum = -1\n" + ROLES)
    with pytest.raises(PolicyError, match=rf"{path}: approval_rules\[2\]\.quorum"):
        load_policy(path)


# --- approval_for -------------------------------------------------------------------------

PROD = (
    '[[approval_rules]]\ncommands = ["deploy", "nodes.*"]\nargument = "env"\n'
    'one_of = ["prod"]\napprovers = ["ops-lead"]\nquorum = 2\nrequire_reason = true\n'
    'expires = "30m"\n'
    '[[approval_rules]]\ncommands = ["nodes reboot"]\nargument = "nodes"\ncount_over = 3\n'
    'approvers = ["ops"]\ndescription = "big reboots"\n'
    '[[approval_rules]]\ncommands = ["freeze.*"]\napprovers = ["ops", "ops-lead"]\n'
)


def test_no_rule_no_approval() -> None:
    authz = authorizer(PROD)
    assert authz.approval_for(caller(), HERE, "deploy", {"env": "staging"}) is None
    assert authz.approval_for(caller(), HERE, "deploy", {}) is None
    assert authz.approval_for(caller(), HERE, "whoami", {"env": "prod"}) is None
    assert authorizer("").approval_for(caller(), HERE, "deploy", {"env": "prod"}) is None


def test_condition_and_default_description() -> None:
    found = authorizer(PROD).approval_for(caller(), HERE, "Deploy", {"ENV": "Prod"})
    assert found == Requirement(
        rule="approval_rules[1]",
        description="'Deploy' with 'env' in (prod)",
        approver_roles=("ops-lead",),
        quorum=2,
        require_reason=True,
        expires=timedelta(minutes=30),
    )


def test_first_matching_rule_wins() -> None:
    authz = authorizer(PROD)
    both = authz.approval_for(caller(), HERE, "nodes reboot", {"env": "prod", "nodes": "a b c d"})
    assert both is not None and both.rule == "approval_rules[1]"
    big = authz.approval_for(caller(), HERE, "nodes reboot", {"nodes": ["a", "b", "c", "d"]})
    assert big is not None and big.rule == "approval_rules[2]"
    assert big.description == "big reboots" and big.quorum == 1 and not big.require_reason
    assert big.expires == DEFAULT_APPROVAL_EXPIRES
    assert authz.approval_for(caller(), HERE, "nodes reboot", {"nodes": ["a", "b", "c"]}) is None


def test_unconditional_rule_covers_every_run() -> None:
    found = authorizer(PROD).approval_for(caller(), HERE, "freeze on", {})
    assert found is not None and found.rule == "approval_rules[3]"
    assert found.description == "'freeze on'" and found.approver_roles == ("ops", "ops-lead")


def test_approvers_are_not_exempt() -> None:
    lead = caller(["ops-lead", "ops"])
    assert authorizer(PROD).approval_for(lead, HERE, "deploy", {"env": "prod"}) is not None


def test_may_approve_needs_one_of_the_roles() -> None:
    authz = authorizer(PROD)
    assert authz.may_approve(caller(["ops-lead"]), ("ops-lead",))
    assert authz.may_approve(caller(["viewer", "ops"]), ["ops-lead", "ops"])
    assert not authz.may_approve(caller(["ops"]), ("ops-lead",))
    assert not authz.may_approve(caller(), ("ops-lead",))
    assert not authz.may_approve(caller(["ops"]), ())
