"""A deploy service reached by the generic signed webhook (the contract in
teams_bot/automation/pipelines/webhook.py and signing.py), checking signatures as a real
receiver must: HMAC-SHA256 over `<timestamp>.<body>`, timestamps within five minutes.

Polling: POST /hooks/deploy answers 202 with status_url, url and cancel_url; GET
/runs/{id} reports the state. Callback mode: after the POST it sends signed updates to the
callback_url it was given, one per state change, from a background task.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp
from aiohttp import web

from tests.standins.base import Run, StandIn

SECRET = "whsec_standin_0123456789abcdef0123456789abcdef"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookStandIn(StandIn):
    def __init__(self, secret: str = SECRET) -> None:
        super().__init__()
        self.secret = secret
        self.by_uuid: dict[str, Run] = {}
        self.callback_tasks: list[asyncio.Task[None]] = []
        self.callback_answers: list[int] = []

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/hooks/deploy", self.hook),
            web.get("/runs/{uuid}", self.status),
            web.post("/runs/{uuid}/cancel", self.cancel),
        ]

    def _refused(self, request: web.Request, body: bytes) -> web.Response | None:
        timestamp = request.headers.get("X-Opsbot-Timestamp", "")
        given = request.headers.get("X-Opsbot-Signature", "")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
        if not fresh or not hmac.compare_digest(given, sign(self.secret, timestamp, body)):
            return web.json_response({"error": "invalid signature"}, status=401)
        return None

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if refused := self._refused(request, body):
            return refused
        payload = json.loads(body)
        run = self.new_run(payload["parameters"])
        run.extra.update(uuid=payload["run_id"], action=payload["action"])
        self.by_uuid[payload["run_id"]] = run
        if payload.get("callback_url"):
            task = asyncio.create_task(self._callbacks(run, payload["callback_url"]))
            self.callback_tasks.append(task)
            return web.json_response({"url": self._page(run)}, status=202)
        base = f"/runs/{payload['run_id']}"
        return web.json_response(
            {"status_url": base, "url": self._page(run), "cancel_url": base + "/cancel"},
            status=202,
        )

    async def status(self, request: web.Request) -> web.Response:
        if refused := self._refused(request, await request.read()):
            return refused
        run = self.by_uuid.get(request.match_info["uuid"])
        if run is None:
            return web.json_response({"error": "no such run"}, status=404)
        run.advance()
        return web.json_response(self._state(run))

    async def cancel(self, request: web.Request) -> web.Response:
        if refused := self._refused(request, await request.read()):
            return refused
        self.by_uuid[request.match_info["uuid"]].cancelled = True
        return web.json_response({"status": "cancelled"}, status=202)

    async def _callbacks(self, run: Run, url: str) -> None:
        """Signed updates to the bot as the run moves (hang: it stays running)."""
        async with aiohttp.ClientSession() as session:
            last = None
            for _ in range(200):
                run.advance()
                state = self._state(run)
                if state != last:
                    await self._post(session, url, state)
                    last = state
                if run.phase == "done":
                    return
                await asyncio.sleep(0.02)

    async def _post(self, session: aiohttp.ClientSession, url: str, state: dict[str, Any]) -> None:
        body = json.dumps(state).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Opsbot-Timestamp": timestamp,
            "X-Opsbot-Signature": sign(self.secret, timestamp, body),
        }
        async with session.post(url, data=body, headers=headers) as response:
            self.callback_answers.append(response.status)

    def _page(self, run: Run) -> str:
        return f"https://deploy.example/runs/{run.id}"

    def _state(self, run: Run) -> dict[str, Any]:
        state: dict[str, Any] = {"run_id": run.extra["uuid"], "url": self._page(run)}
        if run.phase == "queued":
            return {**state, "status": "queued", "detail": "waiting for a worker"}
        if run.phase == "running":
            return {**state, "status": "running", "step": run.script.steps[run.step_index]}
        status = "cancelled" if run.cancelled else ("succeeded" if run.succeeded else "failed")
        return {**state, "status": status, "detail": f"deploy {status}"}
