"""Out-of-band control API (/_sim/...) so another process can drive the simulator.

POST /_sim/mint  {"kind": "valid", "service_url": null} -> {"authorization": "Bearer ..."}
GET  /_sim/calls?since=N                             -> {"total": T, "calls": [...]}
POST /_sim/clear                                     -> 204
POST /_sim/fail  {"status": 429, "times": 1, "retry_after": 1.5} -> 204
GET  /_sim/stats                                     -> counters
GET  /_sim/env                                       -> bot_env()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .channel_tokens import TOKEN_KINDS

if TYPE_CHECKING:
    from .simulator import ChannelSimulator


class ControlApi:
    def __init__(self, sim: ChannelSimulator) -> None:
        self.sim = sim

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/_sim/mint", self._mint)
        app.router.add_get("/_sim/calls", self._calls)
        app.router.add_post("/_sim/clear", self._clear)
        app.router.add_post("/_sim/fail", self._fail)
        app.router.add_get("/_sim/stats", self._stats)
        app.router.add_get("/_sim/env", self._env)

    async def _mint(self, request: web.Request) -> web.Response:
        body = await _body(request)
        kind = str(body.get("kind", "valid"))
        if kind not in TOKEN_KINDS:
            return web.json_response({"error": f"unknown kind {kind!r}"}, status=400)
        auth = self.sim.authorization(kind, body.get("service_url"))
        return web.json_response({"authorization": auth})

    async def _calls(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        calls = self.sim.recorder.since(since)
        return web.json_response(
            {"total": since + len(calls), "calls": [c.to_json() for c in calls]}
        )

    async def _clear(self, _request: web.Request) -> web.Response:
        self.sim.clear()
        return web.Response(status=204)

    async def _fail(self, request: web.Request) -> web.Response:
        body = await _body(request)
        retry_after = body.get("retry_after")
        self.sim.fail_next(
            int(body.get("status", 500)),
            int(body.get("times", 1)),
            None if retry_after is None else float(retry_after),
        )
        return web.Response(status=204)

    async def _stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.sim.stats())

    async def _env(self, _request: web.Request) -> web.Response:
        return web.json_response(self.sim.bot_env())


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    parsed = await request.json()
    return parsed if isinstance(parsed, dict) else {}
