"""Inbound authentication through the real HTTP route and botbuilder's CloudAdapter."""

from __future__ import annotations

import json
import logging

import pytest

from tests.botrunner import BotUnderTest
from tests.simulator import BAD_TOKEN_KINDS


async def test_valid_token_gets_an_authenticated_reply(bot: BotUnderTest) -> None:
    result = await bot.post(bot.teams.personal_message("version"))
    assert result.status in (200, 201)
    (call,) = await bot.sim.wait_for_calls(1)
    assert call.method == "POST"
    assert call.authorization and call.authorization.startswith("Bearer ")
    assert "teams-chatops-bot" in call.body["text"]


@pytest.mark.parametrize("kind", BAD_TOKEN_KINDS)
async def test_bad_token_is_401_with_one_warning_and_no_traceback(
    bot: BotUnderTest, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    result = await bot.post(bot.teams.channel_message("help"), kind=kind)
    assert result.status == 401, result.text
    assert result.json() == {"error": "unauthorized"}
    assert not bot.sim.calls, "nothing may reach the connector for a refused token"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "401" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert "Traceback" not in caplog.text


async def test_token_for_another_service_url_is_401(bot: BotUnderTest) -> None:
    activity = bot.teams.personal_message("help")
    auth = bot.sim.authorization("valid", service_url="https://evil.example/")
    from tests.simulator import post_activity

    result = await post_activity(bot.session, bot.url, activity, auth)
    assert result.status == 401


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2, 3]", "application/json", 400),
        ('{"text": "no type"}', "application/json", 400),
        ('{"type": "message"}', "application/json", 400),
        ('{"type": "message", "text": "hi"}', "text/plain", 415),
    ],
)
async def test_bad_bodies_get_4xx(
    bot: BotUnderTest, body: str, content_type: str, status: int
) -> None:
    auth = bot.sim.authorization("valid")
    headers = {"Content-Type": content_type, "Authorization": auth or ""}
    async with bot.session.post(bot.url, data=body, headers=headers) as resp:
        assert resp.status == status
        assert "error" in json.loads(await resp.text())


async def test_outbound_token_is_fetched_once_and_reused(bot: BotUnderTest) -> None:
    before = bot.sim.token_requests
    for _ in range(5):
        result = await bot.post(bot.teams.personal_message("version"))
        assert result.status in (200, 201)
    await bot.sim.wait_for_calls(5)
    assert bot.sim.token_requests - before <= 1


async def test_health_and_readiness(bot: BotUnderTest) -> None:
    base = bot.url.removesuffix("/api/messages")
    async with bot.session.get(base + "/healthz") as resp:
        assert resp.status == 200 and (await resp.json())["status"] == "alive"
    async with bot.session.get(base + "/readyz") as resp:
        assert resp.status == 200 and (await resp.json())["database"] == "reachable"
