"""The Bot Connector REST surface (v3) a Teams bot calls back into.

Every request is recorded. A bearer token minted by the simulator's AAD authority for
the channel scope is required (401 otherwise); ``fail_next`` faults apply after auth.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .aad import AadAuthority
from .recorder import CallRecorder, RecordedCall
from .users import User

Reply = tuple[int, Any]  # (status, JSON body or None)
Operation = Callable[[str | None, str | None, dict[str, Any] | None], Reply]

DENIED = {"message": "Authorization has been denied for this request."}
CONV = "/v3/conversations/{cid}"


class BotConnector:
    """Routes, auth, fault injection and recording for the connector endpoints."""

    def __init__(
        self, service_url: str, aad: AadAuthority, recorder: CallRecorder, users: list[User]
    ) -> None:
        self.service_url = service_url
        self.aad = aad
        self.recorder = recorder
        self.users = users
        self._ids = itertools.count(int(time.time() * 1000))

    def add_routes(self, app: web.Application) -> None:
        route = self._route
        app.router.add_post("/v3/conversations", route(self._create_conversation))
        app.router.add_post(CONV + "/activities", route(self._send))
        app.router.add_post(CONV + "/activities/{aid}", route(self._send))
        app.router.add_put(CONV + "/activities/{aid}", route(self._update))
        app.router.add_delete(CONV + "/activities/{aid}", route(self._delete))
        app.router.add_get(CONV + "/members", route(self._members))
        app.router.add_get(CONV + "/pagedmembers", route(self._paged_members))
        app.router.add_get(CONV + "/members/{uid}", route(self._member))
        app.router.add_route("*", "/v3/{tail:.*}", route(self._not_found))

    def new_activity_id(self) -> str:
        return str(next(self._ids))

    # -- request pipeline ----------------------------------------------------------
    def _route(self, op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self._handle(request, op)

        return handler

    async def _handle(self, request: web.Request, op: Operation) -> web.StreamResponse:
        cid = request.match_info.get("cid")
        aid = request.match_info.get("aid") or request.match_info.get("uid")
        body = await _json_body(request)
        auth = request.headers.get("Authorization")
        headers: dict[str, str] = {}
        if not self.aad.is_valid_bearer(auth):
            status, payload = 401, DENIED
            headers["WWW-Authenticate"] = 'Bearer realm="api.botframework.com"'
        elif (fault := self.recorder.take_fault()) is not None:
            status, payload = fault.status, _fault_body(fault.status)
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
        else:
            status, payload = op(cid, aid, body)
        self.recorder.record(
            RecordedCall(
                method=request.method,
                path=request.path,
                conversation_id=cid,
                activity_id=aid,
                body=body,
                authorization=auth,
                at=time.time(),
                status=status,
            )
        )
        if payload is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(payload, status=status, headers=headers)

    # -- operations -------------------------------------------------------------------
    def _send(self, _cid: str | None, _aid: str | None, _body: dict[str, Any] | None) -> Reply:
        return 200, {"id": self.new_activity_id()}

    def _update(self, _cid: str | None, aid: str | None, _body: dict[str, Any] | None) -> Reply:
        return 200, {"id": aid}

    def _delete(self, _cid: str | None, _aid: str | None, _body: dict[str, Any] | None) -> Reply:
        return 200, None

    def _create_conversation(
        self, _cid: str | None, _aid: str | None, body: dict[str, Any] | None
    ) -> Reply:
        body = body or {}
        members = body.get("members") or []
        if not members:
            return 400, _error("BadArgument", "Conversation must have members.")
        # Teams returns the same 1:1 conversation id for the same bot/user pair.
        key = json.dumps(sorted(m.get("id", "") for m in members)) + (body.get("topicName") or "")
        cid = "a:1" + hashlib.sha256(key.encode()).hexdigest()[:40]
        reply: dict[str, Any] = {"id": cid, "serviceUrl": self.service_url}
        if body.get("activity"):
            reply["activityId"] = self.new_activity_id()
        return 201, reply

    def _members(self, _cid: str | None, _aid: str | None, _body: dict[str, Any] | None) -> Reply:
        return 200, [u.member(self.aad.tenant_id) for u in self.users]

    def _paged_members(
        self, cid: str | None, aid: str | None, body: dict[str, Any] | None
    ) -> Reply:
        return 200, {"continuationToken": None, "members": self._members(cid, aid, body)[1]}

    def _member(self, _cid: str | None, uid: str | None, _body: dict[str, Any] | None) -> Reply:
        for user in self.users:
            if uid in (user.teams_id, user.aad_object_id):
                return 200, user.member(self.aad.tenant_id)
        return 404, _error("MemberNotFoundInConversation", "The member is not in the conversation.")

    def _not_found(self, _cid: str | None, _aid: str | None, _body: dict[str, Any] | None) -> Reply:
        return 404, _error("NotFound", "The simulator does not implement this operation.")


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    if not request.body_exists:
        return None
    raw = await request.read()
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {"_unparsed": raw.decode("utf-8", "replace")}
    return parsed if isinstance(parsed, dict) else {"_json": parsed}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}, "requestId": str(uuid.uuid4())}


def _fault_body(status: int) -> dict[str, Any]:
    code = "TooManyRequests" if status == 429 else "ServiceError"
    return _error(code, f"Injected fault: HTTP {status}.")
