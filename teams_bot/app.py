"""The aiohttp application: /api/messages, /healthz, /readyz, and the start/stop wiring."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.schema import Activity
from msrest.serialization import Model

from teams_bot import __version__
from teams_bot.actions.router import ActionRouter
from teams_bot.approvals.models import Approval
from teams_bot.approvals.requests import place, requester
from teams_bot.approvals.scanner import Scan, maintain_forever
from teams_bot.approvals.service import ApprovalService, Outcome
from teams_bot.approvals.store import ApprovalStore
from teams_bot.bf.adapter import OpsAdapter
from teams_bot.bf.auth import GuardedAuthentication, metadata_urls
from teams_bot.bf.cards import CardPublisher
from teams_bot.bf.handler import OpsBot, to_activity
from teams_bot.bf.metadata import install_metadata
from teams_bot.bf.sender import ConnectorSender
from teams_bot.commands.builtins import builtins
from teams_bot.commands.registry import CommandRegistry
from teams_bot.dispatch import Dispatcher, apology
from teams_bot.features import approvals as approval_commands
from teams_bot.features import nodes, nodes_card
from teams_bot.logs import correlation_id
from teams_bot.services import Services, build_services
from teams_bot.settings import Settings

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
ADAPTER = web.AppKey("adapter", OpsAdapter)
BOT = web.AppKey("bot", OpsBot)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
HTTP = web.AppKey("http", aiohttp.ClientSession)


def command_registry(*extra: CommandRegistry) -> CommandRegistry:
    """All commands this build knows, plus any extra registries (plug-ins, tests)."""
    registry = CommandRegistry()
    for part in (builtins, nodes.commands, approval_commands.commands, *extra):
        registry.include(part)
    return registry


def action_router(services: Services) -> ActionRouter:
    """The router behind every card button, with each feature's verbs registered."""

    async def publish(conversation_id: str, activity_id: str, card: dict[str, Any]) -> None:
        await services.publish(conversation_id, activity_id, card)

    router = ActionRouter(
        services.actions, services.signer, services.authorizer, services.audit, publish
    )
    nodes.register(router, services)
    return router


def approval_service(
    services: Services, dispatcher: Dispatcher, router: ActionRouter
) -> ApprovalService:
    """Approvals that run typed commands through the dispatcher and buttons through the router."""

    async def execute(approval: Approval) -> Outcome:
        if approval.kind == "command":
            return await dispatcher.run_approved(approval)
        started, text = await router.start_approved(
            approval.action_id, requester(approval), place(approval)
        )
        return Outcome(started, text)

    return ApprovalService(services, ApprovalStore(services.db), execute)


def create_app(settings: Settings, *extra: CommandRegistry) -> web.Application:
    """The web application; services are built when it starts and closed when it stops."""
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.cleanup_ctx.append(_lifecycle(settings, command_registry(*extra)))
    return app


def _lifecycle(settings: Settings, registry: CommandRegistry) -> Any:
    async def ctx(app: web.Application) -> Any:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        services = await build_services(settings, registry, http)
        auth = GuardedAuthentication(settings)
        if settings.auth_enabled:  # local development mode checks no tokens: nothing to fetch
            await install_metadata(metadata_urls(settings), http)
        adapter = OpsAdapter(auth, ConnectorSender(http))
        adapter.on_turn_error = _on_turn_error
        publisher = CardPublisher(adapter, services.conversations, auth.app_id)
        services.publish, services.say = publisher, publisher.say
        dispatcher = Dispatcher(
            services.registry,
            services.authorizer,
            services.audit,
            allowed_tenants=settings.allowed_tenants,
            deadline_s=settings.turn_deadline_seconds,
            services=services,
            tasks=services.tasks,
        )
        router = action_router(services)
        services.approvals = approvals = approval_service(services, dispatcher, router)
        app[SERVICES], app[HTTP], app[ADAPTER] = services, http, adapter
        app[DISPATCHER] = dispatcher
        app[BOT] = OpsBot(
            dispatcher,
            services.conversations,
            settings.bot_name,
            router,
            approvals,
            services.bot_storage,
            {nodes_card.REFRESH_VERB: nodes.NodesCardView(services).refresh},
        )

        async def interrupted_buttons() -> list[object]:
            return list(await nodes.recover_interrupted(services))

        scans: list[Scan] = [
            approvals.expire_due,
            approvals.recover_interrupted,
            interrupted_buttons,
        ]
        scanner = asyncio.ensure_future(maintain_forever(scans, settings.approval_scan_seconds))
        yield
        scanner.cancel()
        await asyncio.gather(scanner, return_exceptions=True)
        await services.tasks.drain(grace_s=10)
        await http.close()
        await services.db.close()

    return ctx


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    log.error("unhandled error in turn", exc_info=error)
    if context.activity.type == "message":
        try:
            await context.send_activity(to_activity(apology(correlation_id.get())))
        except Exception:
            log.exception("could not send the apology")


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _read_activity(request: web.Request) -> Activity | web.Response:
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _problem(415, "Content-Type must be application/json")
    try:
        body = await request.json()
    except ValueError:
        return _problem(400, "body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return _problem(400, "body is not a Bot Framework activity (no 'type')")
    try:
        activity: Activity = Activity().deserialize(body)
    except Exception:
        return _problem(400, "body is not a valid Bot Framework activity")
    if not activity.service_url or not activity.conversation or not activity.conversation.id:
        return _problem(400, "activity lacks serviceUrl or conversation.id")
    return activity


async def messages(request: web.Request) -> web.StreamResponse:
    activity = await _read_activity(request)
    if isinstance(activity, web.Response):
        return activity
    app = request.app
    auth_header = request.headers.get("Authorization", "")
    try:
        response = await app[ADAPTER].process_activity(auth_header, activity, app[BOT].on_turn)
    except PermissionError as exc:
        log.warning("401 for %s from %s: %s", activity.type, request.remote, exc)
        return _problem(401, "unauthorized")
    except Exception:
        log.exception("could not process a %s activity", activity.type)
        return web.json_response(
            {"error": "internal error", "correlation_id": correlation_id.get()}, status=500
        )
    if response:
        return web.json_response(_invoke_body(response.body), status=response.status)
    return web.Response(status=201)


def _invoke_body(body: object) -> object:
    """An invoke response body as JSON: botbuilder models serialized, plain data as is."""
    return serializer_helper(body) if isinstance(body, Model) else body


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive", "version": __version__})


async def readyz(request: web.Request) -> web.Response:
    if await request.app[SERVICES].db.ping():
        return web.json_response({"status": "ready", "database": "reachable"})
    return web.json_response({"status": "not ready", "database": "unreachable"}, status=503)
