"""The aiohttp application: /api/messages, /healthz, /readyz, each feature's routes, and the
start/stop wiring. It names no feature and imports no botbuilder (that is teams_bot/bf/)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web

from teams_bot import __version__
from teams_bot.bf.route import TeamsEndpoint
from teams_bot.commands.registry import CommandRegistry
from teams_bot.features import default_features
from teams_bot.http_security import apply_headers, security_headers
from teams_bot.kit import Catalog, Feature, Route, installed_features
from teams_bot.outbox import OutboxStore
from teams_bot.scans import maintain_forever
from teams_bot.services import Services, build_services, open_database
from teams_bot.settings import Settings
from teams_bot.storage.conversations import ConversationStore
from teams_bot.storage.health import storage_state

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
ENDPOINT = web.AppKey("endpoint", TeamsEndpoint)
HTTP = web.AppKey("http", aiohttp.ClientSession)


def all_features(*extra: Feature) -> list[Feature]:
    """What `teams-bot serve` runs: the shipped features, installed plug-ins, then `extra`."""
    return [*default_features(), *installed_features(), *extra]


def command_registry(*extra: CommandRegistry) -> CommandRegistry:
    """All commands this build knows (help, the manifest), plus any extra registries."""
    registry = CommandRegistry()
    registry.include(Catalog(all_features()).commands)
    for part in extra:
        registry.include(part)
    return registry


def create_app(
    settings: Settings, *extra: CommandRegistry, features: Sequence[Feature] | None = None
) -> web.Application:
    """The web application; services are built when it starts and closed when it stops.

    `features` defaults to all_features(); `extra` command registries are added as one feature.
    """
    chosen = list(features) if features is not None else all_features()
    for index, registry in enumerate(extra):
        chosen.append(Feature(name=f"extra-{index}", commands=registry))
    catalog = Catalog(chosen)
    app = web.Application(client_max_size=1024 * 1024, middlewares=[security_headers])
    app.on_response_prepare.append(_headers_on_prepared)  # answers sent before a handler returns
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_post("/api/messages", _messages)
    for route in catalog.routes.values():
        app.router.add_route(route.method, route.path, _feature_route(route))
    app.cleanup_ctx.append(_lifecycle(settings, catalog))
    return app


def _lifecycle(settings: Settings, catalog: Catalog) -> Callable[[web.Application], Any]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        endpoint = TeamsEndpoint(settings, http)
        db = await open_database(settings)
        messenger = endpoint.messenger(ConversationStore(db))
        services = await build_services(settings, catalog, http, db, messenger)
        await endpoint.start()
        endpoint.serve(services)
        app[SERVICES], app[HTTP], app[ENDPOINT] = services, http, endpoint
        every = settings.approval_scan_seconds
        background = [asyncio.ensure_future(maintain_forever(services, catalog.scans, every))]
        background += [asyncio.ensure_future(work(services)) for work in catalog.workers]
        yield
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await services.tasks.drain(grace_s=10)
        await http.close()
        await db.close()

    return ctx


def _feature_route(route: Route) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await route.handle(request.app[SERVICES], request)

    return handle


async def _headers_on_prepared(request: web.Request, response: web.StreamResponse) -> None:
    apply_headers(request, response.headers)


async def _messages(request: web.Request) -> web.StreamResponse:
    return await request.app[ENDPOINT].messages(request)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive", "version": __version__})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers and takes a write; the body names what is down."""
    db = request.app[SERVICES].db
    state = await storage_state(db)
    if state != "writable":
        body = {"status": "not ready", "database": state, "storage": state}
        return web.json_response(body, status=503)
    failed = (await OutboxStore(db).counts()).get("failed", 0)
    details = {"database": "reachable", "storage": state, "deliveries_failed": failed}
    return web.json_response({"status": "ready", **details})
