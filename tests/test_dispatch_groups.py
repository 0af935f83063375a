"""Commands authorized through Azure AD groups, resolved by Graph; Graph down means refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from teams_bot.app import command_registry
from teams_bot.authz import Authorizer
from teams_bot.background import BackgroundTasks
from teams_bot.commands.context import CardReply
from teams_bot.dispatch import Dispatcher, Request
from teams_bot.gate import Gate
from teams_bot.graph import GraphGroupResolver
from teams_bot.identity import Caller, Where
from teams_bot.policy import parse_policy
from teams_bot.storage.audit import AuditLog
from teams_bot.storage.db import Database
from tests.graph_standin import GraphStandIn, running_standin
from tests.test_graph import settings_for

OPS_GROUP = "2f9c7d1e-8a4b-4c3d-9e2f-1a0b9c8d7e6f"
NESTED = "7b3a9e5d-1c2f-4e8a-b6d4-0f9e8d7c6b5a"
ADA = "0a0a0a0a-0000-0000-0000-00000000000a"
WHERE = Where(conversation_id="c1", conversation_type="personal", tenant_id="t1")

POLICY: dict[str, Any] = {
    "default_roles": ["viewer"],
    "roles": {
        "viewer": {"permissions": ["help", "whoami"]},
        "auditor": {"permissions": ["audit.read"]},
    },
    "bindings": {"groups": {OPS_GROUP: {"roles": ["auditor"], "label": "Ops Engineers"}}},
}


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[GraphStandIn]:
    async with running_standin(tmp_path) as running:
        running.directory.users.add(ADA)
        running.directory.groups.update({OPS_GROUP: {NESTED}, NESTED: {ADA}})  # Ada via nesting
        yield running


@pytest.fixture
async def dispatcher(
    standin: GraphStandIn, db: Database, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Dispatcher]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(standin.ca_file))
    policy = parse_policy(POLICY)
    connector = aiohttp.TCPConnector(ssl=standin.client_ssl())
    async with aiohttp.ClientSession(connector=connector) as http:
        groups = GraphGroupResolver.from_settings(settings_for(standin), http, policy=policy)
        assert groups is not None
        services = type("S", (), {"registry": command_registry(), "audit": AuditLog(db)})()
        yield Dispatcher(
            services.registry,
            Gate(Authorizer(policy, groups), allowed_tenants=[]),
            services.audit,
            deadline_s=5,
            services=services,
            tasks=BackgroundTasks(),
        )


def request(text: str) -> Request:
    return Request(text, Caller(ADA, "t1", "Ada"), WHERE, "corr-1", {})


async def noop(reply: object) -> None:
    return None


async def test_a_nested_group_grants_its_role(dispatcher: Dispatcher) -> None:
    reply = await dispatcher.handle(request("whoami"), noop)
    assert isinstance(reply, CardReply)
    assert "auditor (group Ops Engineers" in reply.summary
    assert "audit record" in str(await dispatcher.handle(request("audit"), noop))


async def test_graph_failure_refuses_and_is_audited(
    dispatcher: Dispatcher, standin: GraphStandIn
) -> None:
    standin.fail_graph(5, status=503)
    reply = str(await dispatcher.handle(request("audit"), noop))
    assert "could not check your Azure AD groups" in reply
    (record,) = await dispatcher.audit.query(last=1)
    assert record.outcome == "denied" and record.command == "audit"
