"""A local Bot Connector stand-in that enforces Teams' rate limits, and a `send` for it.

POST /v3/conversations/{conv}/activities posts (201 with a new id), PUT .../activities/{id}
updates a posted message (404 for an unknown id). Per conversation 7/1 s, 8/2 s, 60/30 s,
1,800/h and per tenant (channelData.tenant.id) 50/1 s, counting posts and updates, on arrival
time; over a limit it answers 429 with Retry-After (seconds until the request would fit).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp
from aiohttp import web

from teams_bot.outbox import Delivery, Send, SendResult

CONVERSATION = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
TENANT = ((50, 1.0),)


@dataclass
class Limiter:
    arrivals: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def wait(self, key: str, limits: tuple[tuple[int, float], ...], now: float) -> float:
        """0 if a request now fits every window (and records it), else seconds to wait."""
        times = self.arrivals[key]
        while times and times[0] <= now - 3600:
            times.popleft()
        need = 0.0
        for count, seconds in limits:
            inside = [t for t in list(times)[-count:] if t > now - seconds]
            if len(inside) >= count:
                need = max(need, inside[0] + seconds - now)
        return need


@dataclass
class ConnectorStandIn:
    enforce: bool = True
    posts: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)
    updates: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)
    throttled: int = 0
    posted: set[tuple[str, str]] = field(default_factory=set)
    limiter: Limiter = field(default_factory=Limiter)
    first_at: float | None = None
    last_at: float = 0.0
    last_wall: float = 0.0  # time.time() of the last accepted request (across processes)

    def app(self) -> web.Application:
        app = web.Application()
        base = "/v3/conversations/{conv}/activities"
        app.router.add_post(base, self._post)
        app.router.add_put(base + "/{aid}", self._put)
        app.router.add_get("/stats", self._stats)
        return app

    async def _stats(self, _request: web.Request) -> web.Response:
        posts = [[conv, mid, body.get("value", {}).get("group_id", "")]  # type: ignore[union-attr]
                 for conv, mid, body in self.posts]
        return web.json_response({"posts": posts, "updates": len(self.updates),
                                  "throttled": self.throttled, "last_wall": self.last_wall})

    def _admit(self, conv: str, body: dict[str, object]) -> web.Response | None:
        now = time.monotonic()
        tenant = str(body.get("channelData", {}).get("tenant", {}).get("id", ""))  # type: ignore[union-attr]
        if self.enforce:
            wait = max(
                self.limiter.wait(f"c:{conv}", CONVERSATION, now),
                self.limiter.wait(f"t:{tenant}", TENANT, now),
            )
            if wait > 0:
                self.throttled += 1
                return web.json_response(
                    {"error": {"code": "TooManyRequests"}},
                    status=429,
                    headers={"Retry-After": str(math.ceil(wait * 10) / 10)},
                )
        self.limiter.arrivals[f"c:{conv}"].append(now)
        self.limiter.arrivals[f"t:{tenant}"].append(now)
        self.first_at = now if self.first_at is None else self.first_at
        self.last_at = now
        self.last_wall = time.time()
        return None

    async def _post(self, request: web.Request) -> web.Response:
        conv, body = request.match_info["conv"], await request.json()
        refused = self._admit(conv, body)
        if refused is not None:
            return refused
        message_id = f"m{len(self.posts) + 1}"
        self.posts.append((conv, message_id, body))
        self.posted.add((conv, message_id))
        return web.json_response({"id": message_id}, status=201)

    async def _put(self, request: web.Request) -> web.Response:
        conv, aid = request.match_info["conv"], request.match_info["aid"]
        body = await request.json()
        if (conv, aid) not in self.posted:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        refused = self._admit(conv, body)
        if refused is not None:
            return refused
        self.updates.append((conv, aid, body))
        return web.json_response({"id": aid})


@asynccontextmanager
async def running(connector: ConnectorStandIn) -> AsyncIterator[str]:
    runner = web.AppRunner(connector.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def serve_forever() -> None:
    """`python -m tests.alertmanager.connector`: prints its URL, serves until killed."""
    async with running(ConnectorStandIn()) as url:
        print(url, flush=True)
        await asyncio.Event().wait()


def http_send(session: aiohttp.ClientSession, base: str) -> Send:
    """The outbox's `send` for the stand-in: the delivery's payload as the message's value."""

    async def send(delivery: Delivery) -> SendResult:
        url = f"{base}/v3/conversations/{quote(delivery.conversation_id, safe='')}/activities"
        body = {
            "type": "message",
            "value": delivery.payload,
            "channelData": {"tenant": {"id": delivery.tenant_id}},
        }
        method = "POST"
        if delivery.is_update:
            method, url = "PUT", f"{url}/{quote(delivery.message_id, safe='')}"
        async with session.request(
            method, url, data=json.dumps(body), headers={"Content-Type": "application/json"}
        ) as resp:
            text = await resp.text()
            retry = resp.headers.get("Retry-After")
            message_id = json.loads(text).get("id", "") if resp.status < 300 else ""
            return SendResult(
                resp.status,
                float(retry) if retry else None,
                message_id,
                text[:200] if resp.status >= 300 else "",
            )

    return send


if __name__ == "__main__":
    asyncio.run(serve_forever())
