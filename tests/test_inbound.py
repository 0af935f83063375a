"""bf/inbound: token pre-check before the body, size caps, one safe parse (issue 9, #1 and #6).

A real aiohttp server on 127.0.0.1 with a route made of read_activity_body, real tokens from the
channel simulator, and its signing keys fetched by bf/metadata as the bot does at start.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from teams_bot.bf import inbound
from teams_bot.bf.auth import metadata_urls
from teams_bot.bf.inbound import (
    MAX_DEPTH,
    UNVERIFIED_BODY_LIMIT,
    VERIFIED_BODY_LIMIT,
    TokenPrecheck,
    read_activity_body,
)
from teams_bot.bf.metadata import install_metadata
from teams_bot.settings import Settings
from tests.simulator import BAD_TOKEN_KINDS, ChannelSimulator

# Bad tokens botbuilder alone can judge (they need the activity) pass the pre-check.
NEEDS_ACTIVITY = {"wrong_issuer", "serviceurl_mismatch"}
PRECHECKED = [kind for kind in BAD_TOKEN_KINDS if kind not in NEEDS_ACTIVITY]


@dataclass
class Server:
    url: str
    sim: ChannelSimulator
    session: aiohttp.ClientSession
    reads: list[int] = field(default_factory=list)

    async def post(
        self, body: bytes | str, auth: str | None = "valid", ctype: str = "application/json"
    ) -> tuple[int, Any]:
        headers = {"Content-Type": ctype}
        header = self.sim.authorization(auth) if auth in (*BAD_TOKEN_KINDS, "valid") else auth
        if header is not None:
            headers["Authorization"] = header
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            return resp.status, json.loads(await resp.text())


def settings_for(sim: ChannelSimulator, *, auth: bool = True) -> Settings:
    env: dict[str, Any] = dict(sim.bot_env())
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        env.pop(name)
    if not auth:
        env.pop("MicrosoftAppId")
    return Settings(_env_file=None, action_secret="test-action-secret-0123456789", **env)  # type: ignore[call-arg]


async def start(
    sim: ChannelSimulator, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Server]:
    session = aiohttp.ClientSession()
    if settings.auth_enabled:
        await install_metadata(metadata_urls(settings), session)
    precheck = TokenPrecheck(settings)
    reads: list[int] = []
    real_read: Callable[..., Any] = inbound._read_capped

    async def counting_read(request: web.Request, limit: int) -> bytes | None:
        reads.append(limit)
        return await real_read(request, limit)  # type: ignore[no-any-return]

    monkeypatch.setattr(inbound, "_read_capped", counting_read)

    async def messages(request: web.Request) -> web.Response:
        body = await read_activity_body(request, precheck)
        if isinstance(body, web.Response):
            return body
        return web.json_response({"type": body["type"]})

    app = web.Application(client_max_size=VERIFIED_BODY_LIMIT * 4)
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Server(f"http://127.0.0.1:{port}/api/messages", sim, session, reads)
    finally:
        await session.close()
        await runner.cleanup()


@pytest.fixture
async def server(
    simulator: ChannelSimulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Server]:
    async for running in start(simulator, settings_for(simulator), monkeypatch):
        yield running


@pytest.fixture
async def dev_server(
    simulator: ChannelSimulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Server]:
    async for running in start(simulator, settings_for(simulator, auth=False), monkeypatch):
        yield running


def activity(**extra: Any) -> str:
    return json.dumps({"type": "message", "text": "help", **extra})


async def test_a_valid_token_gets_its_body_parsed(server: Server) -> None:
    assert await server.post(activity()) == (200, {"type": "message"})
    assert server.reads == [VERIFIED_BODY_LIMIT]


@pytest.mark.parametrize("kind", PRECHECKED)
async def test_bad_tokens_are_401_before_the_body_is_read(
    server: Server, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = await server.post(activity(padding="x" * 600_000), auth=kind)
    assert (status, body) == (401, {"error": "unauthorized"})
    assert server.reads == [], "the body of a refused request must not be read"
    (warning,) = [r.getMessage() for r in caplog.records if r.name == inbound.__name__]
    assert warning.startswith("401 before reading the body")


@pytest.mark.parametrize("kind", sorted(NEEDS_ACTIVITY))
async def test_tokens_only_botbuilder_can_judge_pass_the_precheck(
    server: Server, kind: str
) -> None:
    assert (await server.post(activity(), auth=kind))[0] == 200


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer a.b",
        "Bearer a.b.c.d",
        "Bearer  a.b.c",
        "Bearer a.b.c extra",
        "Bearer é.b.c",
        "Bearer " + "a" * 5000 + ".b.c",
        "bearer eyJhbGciOiJSUzI1NiJ9.e30.",
    ],
)
async def test_malformed_authorization_headers_are_401(server: Server, header: str) -> None:
    assert await server.post(activity(), auth=header) == (401, {"error": "unauthorized"})
    assert server.reads == []


async def test_wrong_content_type_is_415(server: Server) -> None:
    assert (await server.post(activity(), ctype="text/plain"))[0] == 415


@pytest.mark.parametrize("size", [VERIFIED_BODY_LIMIT + 1, 3 * VERIFIED_BODY_LIMIT])
async def test_over_the_limit_is_413(server: Server, size: int) -> None:
    body = activity(padding="x" * size)
    assert (await server.post(body))[0] == 413


async def test_a_streamed_body_over_the_limit_is_413(server: Server) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"type": "message", "padding": "'
        for _ in range(VERIFIED_BODY_LIMIT // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    auth = server.sim.authorization("valid") or ""
    headers = {"Content-Type": "application/json", "Authorization": auth}
    async with server.session.post(server.url, data=chunks(), headers=headers) as resp:
        assert resp.status == 413


async def test_just_under_the_limit_is_parsed(server: Server) -> None:
    body = activity(padding="x" * (VERIFIED_BODY_LIMIT - 100))
    assert await server.post(body) == (200, {"type": "message"})


async def test_local_development_mode_needs_no_token_but_has_the_small_cap(
    dev_server: Server,
) -> None:
    assert await dev_server.post(activity(), auth=None) == (200, {"type": "message"})
    big = activity(padding="x" * UNVERIFIED_BODY_LIMIT)
    assert (await dev_server.post(big, auth=None))[0] == 413
    assert dev_server.reads == [UNVERIFIED_BODY_LIMIT, UNVERIFIED_BODY_LIMIT]


def nested(depth: int, kind: str) -> str:
    if kind == "list":
        inner = "[" * depth + "]" * depth
    else:
        inner = '{"a":' * depth + "1" + "}" * depth
    return '{"type": "message", "channelData": ' + inner + "}"


@pytest.mark.parametrize("kind", ["list", "dict"])
@pytest.mark.parametrize("depth", [MAX_DEPTH, 10_000, 100_000])
async def test_deep_nesting_is_400_never_a_recursion_error(
    server: Server, depth: int, kind: str
) -> None:
    status, body = await server.post(nested(depth, kind))
    assert status == 400 and "error" in body


async def test_ordinary_nesting_is_fine(server: Server) -> None:
    assert (await server.post(nested(MAX_DEPTH - 2, "dict")))[0] == 200


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2, 3]",
        '"message"',
        "null",
        '{"text": "no type"}',
        '{"type": ""}',
        '{"type": 7}',
        '{"type": ["message"]}',
        b'{"type": "message", "text": "\xff\xfe"}',
        "",
    ],
)
async def test_bad_bodies_are_400(server: Server, body: str | bytes) -> None:
    status, answer = await server.post(body)
    assert status == 400 and "error" in answer


async def test_a_flood_of_refusals_is_summarised_in_the_log(
    server: Server, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(inbound.LOG_BURST + 15):
        assert (await server.post(activity(), auth=None))[0] == 401
    lines = [r.getMessage() for r in caplog.records if r.name == inbound.__name__]
    assert len(lines) == inbound.LOG_BURST
    monkeypatch.setattr(inbound, "LOG_WINDOW_S", 0.0)
    assert (await server.post(activity(), auth=None))[0] == 401
    lines = [r.getMessage() for r in caplog.records if r.name == inbound.__name__]
    assert lines[-2:] == [
        "15 more refused requests not logged one by one",
        "401 before reading the body from 127.0.0.1: no Authorization header",
    ]
