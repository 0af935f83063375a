"""The authorization engine: roles and their sources, permissions, channel and argument rules."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from teams_bot.authz import Authorizer, Decision
from teams_bot.errors import CommandError
from teams_bot.graph import AppTokens, ClientSecret, GraphGroupResolver, GroupLookupError
from teams_bot.identity import Caller, Where
from teams_bot.policy import Policy, allows, load_policy, parse_policy
from tests.graph_standin import APP_ID, APP_SECRET, GraphStandIn, running_standin

OPS_GROUP = "2f9c7d1e-8a4b-4c3d-9e2f-1a0b9c8d7e6f"
LEAD_GROUP = "7b3a9e5d-1c2f-4e8a-b6d4-0f9e8d7c6b5a"
ADMIN = "6a1e3c52-0d7b-4b8e-9d3a-1f2e3d4c5b6a"
ALICE = "0000000a-0000-0000-0000-000000000001"
TEAM = "19:a1b2c3d4e5f60718293a4b5c6d7e8f90@thread.tacv2"
FREEZE_CHANNEL = "19:0f1e2d3c4b5a69788796a5b4c3d2e1f0@thread.tacv2"
EXAMPLE = Path(__file__).resolve().parent.parent / "infra" / "policy.example.toml"

PERSONAL = Where("a:1", "personal")
GROUP_CHAT = Where("19:chat", "groupChat")
OPS_CHANNEL = Where("19:x", "channel", team_id=TEAM, channel_id="19:general")
OTHER_CHANNEL = Where("19:y", "channel", team_id="19:other", channel_id="19:other")


class StaticGroups:
    """A GroupResolver over a fixed membership, counting calls."""

    def __init__(self, membership: dict[str, set[str]], error: Exception | None = None) -> None:
        self.membership = membership
        self.error = error
        self.calls = 0

    async def member_of(self, aad_object_id: str, group_ids: Sequence[str]) -> frozenset[str]:
        self.calls += 1
        if self.error:
            raise self.error
        return frozenset(self.membership.get(aad_object_id, set()) & set(group_ids))


def example() -> Policy:
    return load_policy(EXAMPLE)


def caller(oid: str = ALICE, roles: Sequence[str] = ()) -> Caller:
    return Caller(oid, "tenant", "Alice", roles=frozenset(roles))


# --- identify -----------------------------------------------------------------------------


async def test_identify_collects_roles_with_sources() -> None:
    groups = StaticGroups({ALICE: {OPS_GROUP, LEAD_GROUP}})
    who = await Authorizer(example(), groups).identify(caller())
    assert who.roles == {"viewer", "ops", "ops-lead"}
    assert who.role_sources == (
        ("viewer", "default"),
        ("ops", "group Ops Engineers 2f9c7d1e…"),
        ("ops-lead", "group 7b3a9e5d…"),
    )


async def test_identify_user_binding() -> None:
    who = await Authorizer(example(), StaticGroups({})).identify(caller(ADMIN))
    assert who.role_sources == (("viewer", "default"), ("admin", "user binding"))


async def test_identify_skips_graph_when_no_groups_are_bound() -> None:
    groups = StaticGroups({})
    policy = parse_policy({"default_roles": ["v"], "roles": {"v": {"permissions": ["help"]}}})
    who = await Authorizer(policy, groups).identify(caller())
    assert who.roles == {"v"} and groups.calls == 0


async def test_identify_without_object_id_gets_defaults_only() -> None:
    groups = StaticGroups({})
    who = await Authorizer(example(), groups).identify(caller(""))
    assert who.roles == {"viewer"} and groups.calls == 0


async def test_group_bindings_grant_nothing_without_a_resolver() -> None:
    who = await Authorizer(example(), None).identify(caller())
    assert who.roles == {"viewer"}


@pytest.mark.parametrize(
    "error", [GroupLookupError("Microsoft Graph answered 500"), RuntimeError("bug")]
)
async def test_identify_fails_closed(error: Exception) -> None:
    authz = Authorizer(example(), StaticGroups({ALICE: {OPS_GROUP}}, error))
    with pytest.raises(GroupLookupError) as caught:
        await authz.identify(caller())
    assert isinstance(caught.value, CommandError)
    assert "refusing to be safe" in str(caught.value)


# --- permissions --------------------------------------------------------------------------


def test_missing_permission_is_named() -> None:
    authz = Authorizer(example(), None)
    decision = authz.check(caller(roles=["viewer"]), PERSONAL, "nodes.reboot", "nodes reboot", {})
    assert decision == Decision(
        False,
        "'nodes reboot' needs the permission 'nodes.reboot', which your roles (viewer) "
        "do not grant.",
        "nodes.reboot",
    )


def test_permissions_union_of_roles() -> None:
    authz = Authorizer(example(), None)
    assert authz.permissions(caller(roles=["viewer", "ops"])) >= {"nodes.*", "help"}


def test_allowed_decision() -> None:
    authz = Authorizer(example(), None)
    decision = authz.check(caller(roles=["ops"]), OPS_CHANNEL, "nodes.reboot", "nodes reboot", {})
    assert decision.allowed and decision.missing == ""


# --- channel rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        (PERSONAL, "'nodes reboot' may not run in 1:1 chat."),
        (GROUP_CHAT, "'nodes reboot' may not run in group chats."),
        (OTHER_CHANNEL, "'nodes reboot' may not run in this channel."),
        (Where("?", "meeting"), "'nodes reboot' may not run in a conversation of type 'meeting'."),
        (Where("19:z", "channel"), "'nodes reboot' may not run in this channel."),
    ],
)
def test_channel_rules_refuse(where: Where, reason: str) -> None:
    authz = Authorizer(example(), None)
    decision = authz.check(caller(roles=["admin"]), where, "nodes.reboot", "nodes reboot", {})
    assert decision == Decision(False, reason, "channel_rules[1]")


def test_channel_rules_leave_other_commands_alone() -> None:
    authz = Authorizer(example(), None)
    for where in (PERSONAL, GROUP_CHAT, OTHER_CHANNEL, Where("?", "meeting")):
        viewer = caller(roles=["viewer"])
        assert authz.check(viewer, where, "nodes.read", "nodes failed", {}).allowed


def test_channel_allow_list_by_channel_id() -> None:
    authz = Authorizer(example(), None)
    lead = caller(roles=["ops-lead"])
    here = Where("19:f", "channel", team_id="19:any", channel_id=FREEZE_CHANNEL)
    assert authz.check(lead, here, "freeze.on", "freeze on", {}).allowed
    assert authz.check(lead, PERSONAL, "freeze.on", "freeze on", {}).allowed  # only channels listed
    refused = authz.check(lead, OPS_CHANNEL, "freeze.on", "freeze on", {})
    assert refused.reason == "'freeze on' may not run in this channel."
    assert refused.missing == "channel_rules[2]"


def test_every_matching_channel_rule_must_allow() -> None:
    policy = parse_policy(
        tomllib.loads(
            'default_roles = ["all"]\n[roles.all]\npermissions = ["*"]\n'
            '[[channel_rules]]\ncommands = ["x.*"]\nteams = ["t1", "t2"]\n'
            '[[channel_rules]]\ncommands = ["x.y"]\nteams = ["t2"]\n'
        )
    )
    authz, who = Authorizer(policy, None), caller(roles=["all"])
    assert authz.check(who, Where("c", "channel", team_id="t2"), "x.y", "x y", {}).allowed
    refused = authz.check(who, Where("c", "channel", team_id="t1"), "x.y", "x y", {})
    assert refused.missing == "channel_rules[2]"
    assert authz.check(who, Where("c", "channel", team_id="t1"), "x.z", "x z", {}).allowed


# --- argument rules -----------------------------------------------------------------------


def reboot(roles: Sequence[str], **arguments: object) -> Decision:
    authz = Authorizer(example(), None)
    return authz.check(caller(roles=roles), OPS_CHANNEL, "nodes.reboot", "nodes reboot", arguments)


def test_count_over_needs_the_lead_role() -> None:
    assert reboot(["ops"], nodes=["n1", "n2", "n3"]).allowed
    refused = reboot(["ops"], nodes=["n1", "n2", "n3", "n4"])
    assert refused == Decision(
        False, "rebooting more than 3 nodes needs the role 'ops-lead'.", "ops-lead"
    )
    assert not reboot(["ops"], nodes="n1,n2, n3 n4").allowed  # words in one argument count too
    assert reboot(["ops", "ops-lead"], nodes=["n1", "n2", "n3", "n4"]).allowed


def test_value_conditions_ignore_case() -> None:
    refused = reboot(["ops"], nodes=["n1"], env="PROD")
    assert refused.reason == "anything in env=prod needs the role 'ops-lead'."
    assert not reboot(["ops"], Env="production").allowed  # argument names ignore case
    assert reboot(["ops"], env="staging").allowed
    assert reboot(["ops"]).allowed  # an argument not given meets no condition


def test_glob_condition_on_list_items() -> None:
    refused = reboot(["ops"], nodes=["web-1", "ENV=prod,role=db"])
    assert refused.reason == "a node selector that reaches env=prod needs the role 'ops-lead'."
    assert reboot(["ops"], nodes=["env=staging"]).allowed


@pytest.mark.parametrize(
    ("condition", "arguments", "refused"),
    [
        ('equals = "yes"', {"force": "Yes"}, True),
        ("equals = true", {"force": True}, True),
        ("equals = true", {"force": False}, False),
        ('one_of = ["a", "b"]', {"force": ["c", "B"]}, True),
        ('matches = "db-?"', {"force": "db-1"}, True),
        ('matches = "db-?"', {"force": "db-10"}, False),
        ("count_over = 0", {"force": []}, False),
        ("count_over = 0", {"force": "x"}, True),
    ],
)
def test_each_condition(condition: str, arguments: dict[str, object], refused: bool) -> None:
    policy = parse_policy(
        tomllib.loads(
            'default_roles = ["all"]\n[roles.all]\npermissions = ["*"]\n'
            "[roles.lead]\npermissions = []\n"
            f'[[argument_rules]]\ncommands = ["x"]\nargument = "force"\n{condition}\n'
            'require_role = "lead"\n'
        )
    )
    decision = Authorizer(policy, None).check(caller(roles=["all"]), PERSONAL, "x", "x", arguments)
    assert decision.allowed is not refused
    if refused:
        assert decision.reason.startswith("'x' with ") and decision.missing == "lead"


def test_permission_is_checked_before_rules() -> None:
    decision = Authorizer(example(), None).check(
        caller(roles=["viewer"]), PERSONAL, "nodes.reboot", "nodes reboot", {"env": "prod"}
    )
    assert decision.missing == "nodes.reboot"


@given(
    granted=st.lists(st.sampled_from(["help", "nodes.*", "nodes.list", "*", "audit.read"])),
    needed=st.sampled_from(["help", "nodes.reboot", "nodes.list", "audit.read", "deploy.run"]),
    kind=st.sampled_from(["personal", "groupChat", "channel", "meeting"]),
)
def test_never_allowed_without_the_permission(granted: list[str], needed: str, kind: str) -> None:
    policy = parse_policy({"roles": {"r": {"permissions": granted}}})
    decision = Authorizer(policy, None).check(
        caller(roles=["r"]), Where("c", kind), needed, needed.replace(".", " "), {}
    )
    assert decision.allowed == allows(granted, needed)


# --- with the Graph stand-in --------------------------------------------------------------


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[tuple[GraphStandIn, GraphGroupResolver]]:
    async with running_standin(tmp_path) as standin:
        nested = "9000000c-0000-0000-0000-00000000000c"
        standin.directory.users.add(ALICE)
        standin.directory.groups.update({OPS_GROUP: {nested}, nested: {ALICE}})
        tokens = AppTokens(
            ClientSecret(APP_ID, APP_SECRET),
            scope=f"{standin.base}/.default",
            authority=standin.authority,
            instance_discovery=False,
            verify=str(standin.ca_file),
        )
        connector = aiohttp.TCPConnector(ssl=standin.client_ssl())
        async with aiohttp.ClientSession(connector=connector) as session:
            yield (
                standin,
                GraphGroupResolver(
                    session, tokens, base_url=standin.graph_url, cache_seconds=60, timeout_s=0.5
                ),
            )


async def test_roles_through_graph(graph: tuple[GraphStandIn, GraphGroupResolver]) -> None:
    standin, resolver = graph
    authz = Authorizer(example(), resolver)
    who = await authz.identify(caller())
    assert ("ops", "group Ops Engineers 2f9c7d1e…") in who.role_sources
    assert authz.check(who, OPS_CHANNEL, "nodes.reboot", "nodes reboot", {}).allowed
    await authz.identify(caller())
    assert standin.graph_calls == 1


@pytest.mark.parametrize("fault", ["500", "hang"])
async def test_graph_down_refuses(
    graph: tuple[GraphStandIn, GraphGroupResolver], fault: str
) -> None:
    standin, resolver = graph
    if fault == "hang":
        standin.hang_graph()
    else:
        standin.fail_graph(1, 500)
    with pytest.raises(GroupLookupError, match="refusing to be safe"):
        await Authorizer(example(), resolver).identify(caller())
