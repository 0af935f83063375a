"""Parsing the policy file: every rule kind, and errors that name the exact place."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from teams_bot.policy import (
    ArgumentRule,
    ChannelRule,
    ConditionKind,
    GroupBinding,
    Policy,
    PolicyError,
    command_key,
    default_policy,
    load_policy,
    parse_policy,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "infra" / "policy.example.toml"
GROUP = "2f9c7d1e-8a4b-4c3d-9e2f-1a0b9c8d7e6f"
ROLES = '[roles.viewer]\npermissions = ["help"]\n[roles.lead]\npermissions = ["*"]\n'


def parse(text: str) -> Policy:
    return parse_policy(tomllib.loads(text + "\n" + ROLES), "p.toml")


def test_example_policy_parses() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.default_roles == ("viewer",)
    assert set(policy.roles) == {"viewer", "ops", "ops-lead", "admin"}
    assert policy.group_roles[GROUP] == GroupBinding(GROUP, ("ops",), "Ops Engineers")
    assert policy.group_roles[GROUP].source == "group Ops Engineers 2f9c7d1e…"
    assert len(policy.group_ids) == 2
    assert policy.channel_rules[0].commands == ("nodes.reboot", "nodes.drain", "deploy.*")
    assert policy.channel_rules[0].channels is None
    assert policy.channel_rules[1].teams is None
    assert [r.kind for r in policy.argument_rules] == ["count_over", "one_of", "matches"]


def test_docs_show_the_example_verbatim() -> None:
    docs = (EXAMPLE.parent.parent / "docs" / "policy.md").read_text(encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8").strip() in docs


def test_without_a_file_only_help_whoami_version() -> None:
    policy = load_policy(None)
    assert policy == default_policy()
    assert policy.permissions_of(policy.default_roles) == {"help", "whoami", "version"}
    assert not policy.group_ids and not policy.channel_rules and not policy.argument_rules


def test_group_binding_forms() -> None:
    upper = GROUP.upper()
    policy = parse(
        f'[bindings.groups]\n"{upper}" = ["viewer"]\n'
        '"00000000-0000-0000-0000-000000000001" = { roles = ["lead"] }\n'
    )
    assert policy.group_roles[GROUP] == GroupBinding(GROUP, ("viewer",))
    other = policy.group_roles["00000000-0000-0000-0000-000000000001"]
    assert other.source == "group 00000000…"


def test_channel_rule_defaults_and_lists() -> None:
    policy = parse(
        '[[channel_rules]]\ncommands = ["Nodes  Reboot"]\n'
        '[[channel_rules]]\ncommands = ["x.*"]\nteams = []\nchannels = ["19:c"]\n'
        "personal = false\ngroup_chat = false\n"
    )
    first, second = policy.channel_rules
    assert first == ChannelRule(("nodes.reboot",), place="channel_rules[1]")
    assert second == ChannelRule(("x.*",), (), ("19:c",), False, False, "channel_rules[2]")


@pytest.mark.parametrize(
    ("condition", "kind", "value"),
    [
        ("count_over = 3", "count_over", 3),
        ('equals = "PROD"', "equals", "prod"),
        ("equals = true", "equals", "true"),
        ('one_of = ["Prod", "staging"]', "one_of", ("prod", "staging")),
        ('matches = "prod-*"', "matches", "prod-*"),
    ],
)
def test_argument_rule_conditions(
    condition: str, kind: ConditionKind, value: int | str | tuple[str, ...]
) -> None:
    policy = parse(
        f'[[argument_rules]]\ncommands = ["nodes reboot"]\nargument = "Dry-Run"\n{condition}\n'
        'require_role = "lead"\n'
    )
    (rule,) = policy.argument_rules
    assert rule == ArgumentRule(
        ("nodes.reboot",),
        "dry_run",
        kind,
        value,
        "lead",
        "",
        "argument_rules[1]",
    )


def test_command_key() -> None:
    assert command_key("nodes reboot") == "nodes.reboot"
    assert command_key(" Freeze  ON ") == "freeze.on"
    assert command_key("nodes.*") == "nodes.*"


ARG_RULE = '[[argument_rules]]\ncommands = ["a"]\nargument = "n"\nrequire_role = "lead"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rolez = 1", r"p\.toml: the policy file: unknown key\(s\) rolez"),
        ('[roles.x]\npermissions = ["nodes.[ab]"]', r"roles\.x\.permissions: bad pattern"),
        ('[roles.x]\npermissions = ["Nodes Reboot"]', r"roles\.x\.permissions: bad pattern"),
        ('[roles.x]\nperms = ["a"]', r"roles\.x: unknown key\(s\) perms"),
        ("[bindings]\nteams = {}", r"bindings: unknown key\(s\) teams"),
        ('[bindings.users]\n"u1" = ["ghost"]', r"bindings\.users\.'u1' names unknown role"),
        ('[bindings.groups]\n"ops" = ["viewer"]', r"bindings\.groups\.'ops': .*GUID"),
        (f'[bindings.groups]\n"{GROUP}" = "viewer"', "must be a list of roles or a table"),
        (f'[bindings.groups]\n"{GROUP}" = {{ roles = ["x"] }}', "names unknown role"),
        (f'[bindings.groups]\n"{GROUP}" = {{ label = 3 }}', r"'\.label must be a string"),
        ("channel_rules = 3", r"'channel_rules' must be an array of tables"),
        ("channel_rules = [3]", r"channel_rules\[1\] must be a table"),
        ("[[channel_rules]]\nteams = []", r"channel_rules\[1\] needs 'commands'"),
        ("[[channel_rules]]\ncommands = []", r"channel_rules\[1\]\.commands must name"),
        ('[[channel_rules]]\ncommands = ["a"]\npersonal = "no"', r"\[1\]\.personal must be true"),
        ('[[channel_rules]]\ncommands = ["a"]\nteams = "t"', r"\[1\]\.teams must be a list"),
        ('[[channel_rules]]\ncommands = ["a"]\nchanel = []', r"unknown key\(s\) chanel"),
        (ARG_RULE, r"argument_rules\[1\] needs exactly one condition .*found 0"),
        (ARG_RULE + 'equals = "a"\nmatches = "b"', r"exactly one condition .*found 2"),
        (ARG_RULE + "count_over = -1", r"argument_rules\[1\]\.count_over must be a whole"),
        (ARG_RULE + "count_over = true", r"count_over must be a whole number"),
        (ARG_RULE + 'matches = "[ab]"', r"argument_rules\[1\]\.matches: use only \* and \?"),
        (ARG_RULE + "one_of = [1]", r"argument_rules\[1\]\.one_of must be a list of strings"),
        (ARG_RULE.replace("lead", "boss") + "count_over = 1", r"require_role names unknown"),
        ('[[argument_rules]]\ncommands = ["a"]\nequals = "x"', "needs 'argument' and"),
    ],
)
def test_errors_name_the_place(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse(text)


def test_second_rule_is_named_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[[channel_rules]]\ncommands = ["a"]\n[[channel_rules]]\nteams = []\n' + ROLES)
    with pytest.raises(PolicyError, match=rf"{path}: channel_rules\[2\] needs 'commands'"):
        load_policy(path)
