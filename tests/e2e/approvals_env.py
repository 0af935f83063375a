"""A bot whose `deploy` command needs approval by policy, for the approval tests."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from tests.simulator import ALICE, BOB, User

LENA = User.named("Lena Lead")
LEO = User.named("Leo Lead")

DEPLOYED: list[tuple[str, str, str]] = []  # what ran, across every bot in this process

deploy_commands = CommandRegistry()


@deploy_commands.command("deploy", permission="deploy.run", group="Deploy")
async def deploy(
    ctx: CommandContext,
    service: str,
    version: str,
    env: Literal["dev", "qa", "staging", "prod"] = "dev",
) -> Reply:
    """Deploy a service version (a test stand-in that records what it deployed)."""
    DEPLOYED.append((service, version, env))
    return f"deployed {service} {version} to {env}"


POLICY = f"""
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "whoami", "version", "approvals", "audit.read"]

[roles.deployer]
permissions = ["deploy.*"]

[roles.ops-lead]
permissions = ["deploy.*"]

[bindings.users]
"{ALICE.aad_object_id}" = ["deployer"]
"{LENA.aad_object_id}" = ["ops-lead"]
"{LEO.aad_object_id}" = ["ops-lead"]

[[approval_rules]]
commands = ["deploy"]
argument = "env"
equals = "prod"
approvers = ["ops-lead"]
quorum = 2
require_reason = true
expires = "30m"
description = "production deploys"

[[approval_rules]]
commands = ["deploy"]
argument = "env"
equals = "staging"
approvers = ["ops-lead"]
expires = "30m"
description = "staging deploys"

[[approval_rules]]
commands = ["deploy"]
argument = "env"
equals = "qa"
approvers = ["ops-lead"]
expires = "2s"
description = "qa deploys (short-lived, for the expiry test)"
"""


def write_policy(tmp: Path) -> Path:
    path = tmp / "approvals-policy.toml"
    path.write_text(POLICY)
    return path


USERS = (ALICE, BOB, LENA, LEO)
Role = Literal["requester", "approver", "bystander"]
