"""The real application's routes: security headers on every answer, a feature's own route, and
a duplicate delivery of one message handled once."""

from __future__ import annotations

import asyncio

import pytest

from teams_bot.http_security import HEADERS
from tests.botrunner import BotUnderTest, visible_text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/readyz", 200),
        ("POST", "/api/messages", 401),  # no token
        ("GET", "/nowhere", 404),
        ("GET", "/api/messages", 405),
    ],
)
async def test_every_route_answers_with_the_security_headers(
    bot: BotUnderTest, method: str, path: str, status: int
) -> None:
    base = bot.url.removesuffix("/api/messages")
    async with bot.session.request(method, base + path, json={}) as resp:
        assert resp.status == status
        for name, value in HEADERS.items():
            assert resp.headers.get(name) == value, name


async def test_an_oversized_unauthenticated_body_is_refused_with_headers(bot: BotUnderTest) -> None:
    headers = {"Content-Type": "application/json", "Authorization": bot.sim.authorization("valid")}
    body = b'{"type": "message", "text": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    async with bot.session.post(bot.url, data=body, headers=headers) as resp:
        assert resp.status == 413
        assert resp.headers.get("X-Content-Type-Options") == "nosniff"


async def test_the_same_message_delivered_twice_runs_once(bot: BotUnderTest) -> None:
    message = bot.teams.personal_message("whoami")
    first = await bot.post(message)
    second = await bot.post(message)  # Teams retried: same activity id
    assert first.status in (200, 201) and second.status in (200, 201)
    (reply,) = await bot.sim.wait_for_calls(1)
    assert bot.teams.tenant_id in visible_text(reply.body)  # the whoami card
    await asyncio.sleep(0.5)
    assert len(bot.sim.calls) == 1, "one reply, not two"
    records = await bot.services.audit.query(last=10, kind="command")
    assert [r.command for r in records].count("whoami") == 1
