"""Jenkins stand-in: crumb issuer, buildWithParameters, queue items, builds, stop, cancelItem.

Shapes from jenkins.io/doc/book/using/remote-access-api and the JSON API of Queue items
(`hudson.model.Queue$WaitingItem` with `why`, then `$LeftItem` with `executable` {number,
url} or `cancelled`), builds (`building`, `result` SUCCESS/FAILURE/ABORTED, `url`) and the
Pipeline Stage View's wfapi/describe (stages with IN_PROGRESS/SUCCESS). POSTs need the crumb
from /crumbIssuer/api/json (403 "No valid crumb") and, as in Jenkins, with the session cookie
it was issued for. Basic auth with user + API token; a wrong token gets 401.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from aiohttp import web

from tests.standins.base import Run, StandIn

USER, API_TOKEN = "opsbot", "11d2c3b4a5968778695a4b3c2d1e0f9a8b"
JOB = "deploy/web"  # a job in a folder: /job/deploy/job/web/
PARAMETERS = {"SERVICE", "VERSION", "ENVIRONMENT"}


class JenkinsStandIn(StandIn):
    def __init__(self) -> None:
        super().__init__()
        self.crumbs: dict[str, str] = {}  # session cookie -> crumb
        self.queue: dict[int, Run] = {}

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/crumbIssuer/api/json", self.crumb),
            web.post("/queue/cancelItem", self.cancel_item),
            web.get("/queue/item/{id}/api/json", self.queue_item),
            web.route("*", "/job/{path:.+}", self.job),
        ]

    def _refused(self, request: web.Request) -> web.Response | None:
        expected = "Basic " + base64.b64encode(f"{USER}:{API_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.Response(
                status=401,
                content_type="text/html",
                text=f"<html><body><h2>HTTP ERROR 401 Invalid password/token for user: {USER}"
                "</h2></body></html>",
            )
        if request.method == "POST":
            session = request.cookies.get("JSESSIONID.standin", "")
            crumb = self.crumbs.get(session)
            if crumb is None or request.headers.get("Jenkins-Crumb") != crumb:
                return web.Response(
                    status=403, text="HTTP ERROR 403 No valid crumb was included in the request"
                )
        return None

    async def crumb(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        session, crumb = secrets.token_hex(8), secrets.token_hex(32)
        self.crumbs[session] = crumb
        response = web.json_response(
            {
                "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                "crumb": crumb,
                "crumbRequestField": "Jenkins-Crumb",
            }
        )
        response.set_cookie("JSESSIONID.standin", session, path="/", httponly=True)
        return response

    async def job(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        match = re.fullmatch(
            r"(.+?)/(buildWithParameters|\d+/api/json|\d+/wfapi/describe|\d+/stop)",
            request.match_info["path"],
        )
        if match is None or match.group(1).replace("/job/", "/") != JOB:
            return web.Response(status=404, text="Not Found")
        action = match.group(2)
        if action == "buildWithParameters" and request.method == "POST":
            return await self.build_with_parameters(request)
        run = self.runs.get(int(action.split("/")[0]))
        if run is None:
            return web.Response(status=404, text="Not Found")
        if action.endswith("/stop") and request.method == "POST":
            run.cancelled = True
            return web.Response(status=302, headers={"Location": self._build_url(run)})
        if action.endswith("wfapi/describe"):
            return web.json_response(self._describe(run))
        run.advance()
        return web.json_response(self._build(run))

    async def build_with_parameters(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        run = self.new_run({k: v for k, v in form.items() if k in PARAMETERS})
        run.extra["queue_id"] = 1000 + run.id
        run.extra["queue_polls"] = 0
        self.queue[run.extra["queue_id"]] = run
        location = f"{self.base_url}/queue/item/{run.extra['queue_id']}/"
        return web.Response(status=201, headers={"Location": location})

    async def queue_item(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        run = self.queue.get(int(request.match_info["id"]))
        if run is None:
            return web.Response(status=404, text="Not Found")
        run.extra["queue_polls"] += 1
        item: dict[str, Any] = {"id": run.extra["queue_id"], "task": {"name": "web"}}
        if run.extra.get("queue_cancelled"):
            return web.json_response(
                {
                    **item,
                    "_class": "hudson.model.Queue$LeftItem",
                    "cancelled": True,
                    "executable": None,
                }
            )
        if run.extra["queue_polls"] <= run.script.queued_polls:
            why = "Waiting for next available executor on \u2018linux\u2019"
            return web.json_response(
                {**item, "_class": "hudson.model.Queue$WaitingItem", "why": why, "blocked": False}
            )
        executable = {
            "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
            "number": run.id,
            "url": self._build_url(run),
        }
        return web.json_response(
            {
                **item,
                "_class": "hudson.model.Queue$LeftItem",
                "cancelled": False,
                "executable": executable,
            }
        )

    async def cancel_item(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        run = self.queue.get(int(request.query.get("id", "0")))
        if run is not None:
            run.extra["queue_cancelled"] = True
        return web.Response(status=204)

    def _build_url(self, run: Run) -> str:
        return f"{self.base_url}/job/deploy/job/web/{run.id}/"

    def _build(self, run: Run) -> dict[str, Any]:
        # Builds start once they have an executor: readings count from there.
        done = run.phase == "done"
        result = None
        if done:
            result = "ABORTED" if run.cancelled else ("SUCCESS" if run.succeeded else "FAILURE")
        return {
            "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
            "number": run.id,
            "url": self._build_url(run),
            "displayName": f"#{run.id}",
            "fullDisplayName": f"deploy » web #{run.id}",
            "building": not done,
            "result": result,
            "duration": 0 if not done else 61234,
            "estimatedDuration": 60000,
            "timestamp": 1796000000000,
        }

    def _describe(self, run: Run) -> dict[str, Any]:
        stages = []
        for index, name in enumerate(run.script.steps):
            status = "SUCCESS" if index < run.step_index or run.phase == "done" else "NOT_EXECUTED"
            if index == run.step_index and run.phase != "done":
                status = "IN_PROGRESS"
            stages.append({"id": str(6 + index), "name": name, "status": status})
        return {"id": str(run.id), "name": f"#{run.id}", "status": "IN_PROGRESS", "stages": stages}
