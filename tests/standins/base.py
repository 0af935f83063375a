"""What every pipeline stand-in shares: a real aiohttp server on 127.0.0.1, recorded requests,
injected faults (status + Retry-After for the next N matching calls), and scripted runs.

A run's script: how many state readings it stays queued, the step names it walks through
(one per reading), and its outcome: "success", "failure" or "hang" (never finishes).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Script:
    outcome: str = "success"  # success | failure | hang
    queued_polls: int = 1
    steps: tuple[str, ...] = ("Checkout", "Deploy", "Smoke test")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fault:
    status: int
    retry_after: str | None
    path_contains: str
    times: int


@dataclass
class Run:
    """A remote run as the stand-in keeps it; `readings` counts state reads."""

    id: int
    parameters: dict[str, Any]
    script: Script
    readings: int = 0
    cancelled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def advance(self) -> None:
        self.readings += 1

    @property
    def phase(self) -> str:
        """queued, running or done (after cancel: done)."""
        if self.cancelled:
            return "done"
        if self.readings <= self.script.queued_polls:
            return "queued"
        if self.script.outcome == "hang":
            return "running"
        done_at = self.script.queued_polls + len(self.script.steps)
        return "done" if self.readings > done_at else "running"

    @property
    def step_index(self) -> int:
        index = self.readings - self.script.queued_polls - 1
        return max(0, min(index, len(self.script.steps) - 1))

    @property
    def succeeded(self) -> bool:
        return not self.cancelled and self.script.outcome == "success"


class StandIn:
    """Base: subclasses add routes in `routes()`; requests are recorded before handling."""

    def __init__(self) -> None:
        self.calls: list[Recorded] = []
        self.faults: list[Fault] = []
        self.script = Script()
        self.runs: dict[int, Run] = {}
        self.base_url = ""

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def fail_next(
        self, status: int, retry_after: str | None = None, path_contains: str = "", times: int = 1
    ) -> None:
        self.faults.append(Fault(status, retry_after, path_contains, times))

    def new_run(self, parameters: dict[str, Any]) -> Run:
        run = Run(len(self.runs) + 101, parameters, self.script)
        self.runs[run.id] = run
        return run

    def requests(self, method: str, path_contains: str = "") -> list[Recorded]:
        return [c for c in self.calls if c.method == method and path_contains in c.path]

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        self.calls.append(
            Recorded(request.method, request.path, dict(request.query), dict(request.headers), body)
        )
        for fault in self.faults:
            if fault.times > 0 and fault.path_contains in request.path:
                fault.times -= 1
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return web.json_response(
                    {"message": "injected fault"}, status=fault.status, headers=headers
                )
        return await handler(request)

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        app = web.Application(middlewares=[self._record])
        app.add_routes(self.routes())
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        try:
            yield self.base_url
        finally:
            await runner.cleanup()
