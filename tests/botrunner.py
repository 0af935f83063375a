"""Start the real bot application on 127.0.0.1 for end-to-end tests and benchmarks."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from teams_bot.app import SERVICES, create_app
from teams_bot.commands.registry import CommandRegistry
from teams_bot.kit import Feature
from teams_bot.services import Services
from teams_bot.settings import Settings
from tests.simulator import ChannelSimulator, TeamsActivities, post_activity
from tests.simulator.client import PostResult

POLICY = """
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "whoami", "version"]

[roles.auditor]
permissions = ["audit.read"]

[bindings.users]
"{auditor}" = ["auditor"]
"""

if TYPE_CHECKING:
    from tests.db_fixtures import DbTarget


@dataclass
class BotUnderTest:
    url: str
    app: web.Application
    sim: ChannelSimulator
    session: aiohttp.ClientSession
    teams: TeamsActivities

    @property
    def services(self) -> Services:
        return self.app[SERVICES]

    async def post(self, activity: dict[str, Any], kind: str = "valid") -> PostResult:
        auth = self.sim.authorization(kind, service_url=activity.get("serviceUrl"))
        return await post_activity(self.session, self.url, activity, auth)

    async def post_with(self, activity: dict[str, Any], authorization: str | None) -> PostResult:
        """Post with exactly this Authorization header (e.g. the same token twice)."""
        return await post_activity(self.session, self.url, activity, authorization)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_settings(sim: ChannelSimulator, db: DbTarget, tmp_path: Path, **extra: Any) -> Settings:
    from tests.simulator import ALICE

    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY.format(auditor=ALICE.aad_object_id), encoding="utf-8")
    values: dict[str, Any] = dict(sim.bot_env())
    values.pop("REQUESTS_CA_BUNDLE", None)
    values.pop("SSL_CERT_FILE", None)
    values.update(
        database_url=db.url,
        database_schema=db.schema,
        data_dir=tmp_path / "data",
        policy_file=policy,
        allowed_tenants=[sim.tenant_id],
        action_secret="test-action-secret-0123456789",
    )
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def start_bot(
    sim: ChannelSimulator,
    db: DbTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *commands: CommandRegistry,
    features: Sequence[Feature] | None = None,
    **extra: Any,
) -> AsyncIterator[BotUnderTest]:
    env = sim.bot_env()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", env["REQUESTS_CA_BUNDLE"])
    settings = bot_settings(sim, db, tmp_path, **extra)
    app = create_app(settings, *commands, features=features)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield BotUnderTest(
                f"http://127.0.0.1:{port}/api/messages", app, sim, session, sim.activities
            )
    finally:
        await runner.cleanup()


def visible_text(body: dict[str, Any] | None) -> str:
    """What a person would read in a posted activity: its text plus every text in its cards."""
    if not body:
        return ""
    parts = [str(body.get("text") or ""), str(body.get("summary") or "")]
    for attachment in body.get("attachments") or []:
        parts.append(card_text(attachment.get("content") or {}))
    return "\n".join(p for p in parts if p)


def card_text(node: Any) -> str:
    """Every text, title and fact of an Adaptive Card, markdown escapes removed."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            for key in ("text", "title", "value"):
                if isinstance(item.get(key), str):
                    found.append(item[key])
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(node)
    return re.sub(r"\\(.)", r"\1", "\n".join(found))
