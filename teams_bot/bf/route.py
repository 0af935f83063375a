"""POST /api/messages: the one HTTP door for Teams activities (token checked by botbuilder)."""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.schema import Activity
from msrest.serialization import Model

from teams_bot.bf.adapter import OpsAdapter
from teams_bot.bf.auth import GuardedAuthentication, metadata_urls
from teams_bot.bf.handler import OpsBot
from teams_bot.bf.inbound import TokenPrecheck, read_activity_body
from teams_bot.bf.messenger import TeamsMessenger
from teams_bot.bf.metadata import install_metadata
from teams_bot.bf.replies import to_activity
from teams_bot.bf.sender import ConnectorSender
from teams_bot.bf.verified import VerifiedTokens
from teams_bot.dispatch import Dispatcher, apology
from teams_bot.logs import correlation_id
from teams_bot.metrics import TOKEN_REFUSALS, TURN_SECONDS, TURNS
from teams_bot.services import Services
from teams_bot.settings import Settings
from teams_bot.storage.conversations import ConversationStore

log = logging.getLogger(__name__)

Handler = Any  # aiohttp request handler
ACTIVITY_TYPE = web.RequestKey("activity_type", str)


class TeamsEndpoint:
    """The Bot Framework side of a running bot: adapter, messenger, and the activity route."""

    def __init__(self, settings: Settings, http: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.http = http
        self.auth = GuardedAuthentication(settings)
        self.adapter = OpsAdapter(self.auth, ConnectorSender(http))
        self.adapter.on_turn_error = _on_turn_error
        self.precheck = TokenPrecheck(settings)
        self.auth.verified = VerifiedTokens(self.precheck.key_known)  # dropped with their key
        self.bot: OpsBot | None = None

    async def start(self) -> None:
        if self.settings.auth_enabled:  # local development mode checks no tokens: nothing to fetch
            await install_metadata(metadata_urls(self.settings), self.http)

    def messenger(self, conversations: ConversationStore) -> TeamsMessenger:
        return TeamsMessenger(self.adapter, conversations, self.auth.app_id)

    def serve(self, services: Services) -> None:
        """Start answering activities with the bot built on these services."""
        self.bot = OpsBot(services, Dispatcher.of(services))

    async def messages(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        response = await self._messages(request)
        TURN_SECONDS.observe(time.perf_counter() - started)
        kind = str(request.get(ACTIVITY_TYPE) or "unparsed")[:20]
        TURNS.labels(kind, str(response.status)).inc()
        return response

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        body = await read_activity_body(request, self.precheck)  # token checked before parsing
        if isinstance(body, web.Response):
            return body
        activity = _activity(body)
        if isinstance(activity, web.Response):
            return activity
        request[ACTIVITY_TYPE] = str(activity.type)  # for the metrics
        if self.bot is None:
            return _problem(503, "starting")
        auth_header = request.headers.get("Authorization", "")
        try:
            response = await self.adapter.process_activity(auth_header, activity, self.bot.on_turn)
        except PermissionError as exc:
            log.warning("401 for %r from %s: %s", activity.type, request.remote, exc)
            TOKEN_REFUSALS.labels("validation").inc()
            return _problem(401, "unauthorized")
        except Exception:
            log.exception("could not process a %r activity", activity.type)
            return web.json_response(
                {"error": "internal error", "correlation_id": correlation_id.get()}, status=500
            )
        if response:
            return web.json_response(_invoke_body(response.body), status=response.status)
        return web.Response(status=201)


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    log.error("unhandled error in turn", exc_info=error)
    if context.activity.type == "message":
        try:
            await context.send_activity(to_activity(apology(correlation_id.get())))
        except Exception:
            log.exception("could not send the apology")


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _activity(body: dict[str, Any]) -> Activity | web.Response:
    try:
        activity: Activity = Activity().deserialize(body)
    except Exception:
        return _problem(400, "body is not a valid Bot Framework activity")
    if not activity.service_url or not activity.conversation or not activity.conversation.id:
        return _problem(400, "activity lacks serviceUrl or conversation.id")
    return activity


def _invoke_body(body: object) -> object:
    """An invoke response body as JSON: botbuilder models serialized, plain data as is."""
    return serializer_helper(body) if isinstance(body, Model) else body
