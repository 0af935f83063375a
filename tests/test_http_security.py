"""Security headers on every route over real HTTP, errors included (issue 9, headers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from teams_bot.http_security import HEADERS, HSTS, security_headers


async def _ok(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _read(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({})


async def _cached(request: web.Request) -> web.Response:
    return web.json_response({}, headers={"Cache-Control": "max-age=60"})


async def _boom(request: web.Request) -> web.Response:
    raise web.HTTPForbidden(text="no")


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = web.Application(middlewares=[security_headers], client_max_size=1024)
    app.router.add_get("/healthz", _ok)
    app.router.add_get("/cached", _cached)
    app.router.add_get("/forbidden", _boom)
    app.router.add_post("/api/messages", _read)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("POST", "/api/messages", 200),
        ("GET", "/forbidden", 403),
        ("GET", "/nowhere", 404),
        ("GET", "/api/messages", 405),
    ],
)
async def test_every_answer_carries_the_headers(
    base_url: str, method: str, path: str, status: int
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, base_url + path) as resp,
    ):
        assert resp.status == status
        for name, value in HEADERS.items():
            assert resp.headers.get(name) == value, name
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP, no proxy


async def test_too_large_body_413_carries_the_headers(base_url: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(base_url + "/api/messages", data=b"x" * 4096) as resp,
    ):
        await resp.read()
        assert resp.status == 413
        assert resp.headers.get("X-Content-Type-Options") == "nosniff"


async def test_hsts_behind_an_https_front_end(base_url: str) -> None:
    headers = {"X-Forwarded-Proto": "https"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(base_url + "/healthz", headers=headers) as resp,
    ):
        assert resp.headers["Strict-Transport-Security"] == HSTS


async def test_a_handler_may_choose_its_own_caching(base_url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(base_url + "/cached") as resp:
        assert resp.headers["Cache-Control"] == "max-age=60"
        assert resp.headers["X-Frame-Options"] == "DENY"
