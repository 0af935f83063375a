"""The alert route on a real aiohttp server on 127.0.0.1 (a free port)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from teams_bot.alerts import ROUTE
from teams_bot.alerts.http import Handler


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """Serve `handler` at ROUTE; yields the base URL (http://127.0.0.1:PORT)."""
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post(ROUTE, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
