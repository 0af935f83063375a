"""A tiny Bot Connector (v3 REST) on 127.0.0.1: where the bot's replies and card updates land.

In local development mode the bot sends every reply to the activity's `serviceUrl`; the console
points that here. Each post, update or delete is handed to `deliver` as it arrives, so replies
made during a turn are shown before the turn's HTTP call returns, and proactive ones whenever
they come. No token is checked: the endpoint only listens on loopback.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from teams_bot.console.activities import new_message_id

log = logging.getLogger(__name__)

CONV = "/v3/conversations/{cid}"
DeliveryKind = Literal["post", "update", "delete"]


@dataclass(frozen=True)
class Delivery:
    """One thing the bot did in a conversation."""

    kind: DeliveryKind
    conversation_id: str
    activity_id: str
    activity: dict[str, Any]


Deliver = Callable[[Delivery], None]
Members = Callable[[], list[dict[str, Any]]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LocalConnector:
    """The connector endpoints a Teams bot calls, answering the way the real service does."""

    def __init__(self, deliver: Deliver, members: Members) -> None:
        self._deliver = deliver
        self._members = members
        self._runner: web.AppRunner | None = None
        self.service_url = ""

    async def start(self) -> str:
        """Listen on an ephemeral loopback port; return the service URL (with a trailing /)."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post(CONV + "/activities", self._post)
        app.router.add_post(CONV + "/activities/{aid}", self._post)
        app.router.add_put(CONV + "/activities/{aid}", self._update)
        app.router.add_delete(CONV + "/activities/{aid}", self._delete)
        app.router.add_get(CONV + "/members", self._list_members)
        app.router.add_get(CONV + "/pagedmembers", self._paged_members)
        app.router.add_get(CONV + "/members/{uid}", self._member)
        app.router.add_route("*", "/{tail:.*}", _not_found)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.service_url = f"http://127.0.0.1:{port}/"
        return self.service_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- activities ---------------------------------------------------------------------------
    async def _post(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if body is None:
            return _error(400, "BadArgument", "The body is not a JSON activity.")
        activity_id = new_message_id()
        self._hand_over("post", request, activity_id, body)
        return web.json_response({"id": activity_id})

    async def _update(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if body is None:
            return _error(400, "BadArgument", "The body is not a JSON activity.")
        activity_id = request.match_info["aid"]
        self._hand_over("update", request, activity_id, body)
        return web.json_response({"id": activity_id})

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        self._hand_over("delete", request, request.match_info["aid"], {})
        return web.Response(status=200)

    def _hand_over(
        self, kind: DeliveryKind, request: web.Request, activity_id: str, body: dict[str, Any]
    ) -> None:
        delivery = Delivery(kind, request.match_info["cid"], activity_id, body)
        try:
            self._deliver(delivery)
        except Exception:  # showing a reply must never fail the bot's call
            log.exception("could not show a %s from the bot", kind)

    # -- conversations and members ------------------------------------------------------------
    async def _create_conversation(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request) or {}
        members = body.get("members") or []
        if not isinstance(members, list) or not members:
            return _error(400, "BadArgument", "Conversation must have members.")
        ids = sorted(str(m.get("id", "")) for m in members if isinstance(m, dict))
        cid = "a:1" + hashlib.sha256(json.dumps(ids).encode()).hexdigest()[:40]
        reply: dict[str, Any] = {"id": cid, "serviceUrl": self.service_url}
        if isinstance(body.get("activity"), dict):
            reply["activityId"] = new_message_id()
            self._deliver(Delivery("post", cid, reply["activityId"], body["activity"]))
        return web.json_response(reply, status=201)

    async def _list_members(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._members())

    async def _paged_members(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"continuationToken": None, "members": self._members()})

    async def _member(self, request: web.Request) -> web.StreamResponse:
        uid = request.match_info["uid"]
        for member in self._members():
            if uid in (member.get("id"), member.get("aadObjectId")):
                return web.json_response(member)
        return _error(404, "MemberNotFoundInConversation", "The member is not in the chat.")


async def _not_found(request: web.Request) -> web.StreamResponse:
    log.warning(
        "the bot called %s %s, which the console does not offer", request.method, request.path
    )
    return _error(404, "NotFound", "The console's connector does not implement this operation.")


async def _body(request: web.Request) -> dict[str, Any] | None:
    try:
        parsed = json.loads(await request.read())
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
