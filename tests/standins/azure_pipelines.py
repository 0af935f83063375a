"""Azure DevOps stand-in: Pipelines Runs (run, get), Build Timeline and Build update (cancel).

Shapes from learn.microsoft.com/rest/api/azure/devops (pipelines/runs/run-pipeline and get,
build/timeline/get, build/builds/update; api-version 7.1). A run's `state` is inProgress,
canceling or completed and its `result` succeeded, failed or canceled. Personal access tokens
come as Basic with an empty user name; a bad one gets 401 with Azure DevOps' HTML page. An
undeclared template parameter is refused as the service does (400, PipelineValidationException).
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from tests.standins.base import Run, StandIn

PAT = "azdopat0standin1234567890abcdefghijklmnopqrstuvwx"
ORG, PROJECT, PIPELINE_ID = "contoso", "Web Platform", 12
PARAMETERS = {"service", "version", "environment"}  # declared in the pipeline's YAML


class AzureStandIn(StandIn):
    def routes(self) -> list[web.RouteDef]:
        root = "/{org}/{project}/_apis"
        return [
            web.post(root + "/pipelines/{pipeline}/runs", self.run_pipeline),
            web.get(root + "/pipelines/{pipeline}/runs/{id}", self.get_run),
            web.get(root + "/build/builds/{id}/timeline", self.timeline),
            web.patch(root + "/build/builds/{id}", self.update_build),
        ]

    def _refused(self, request: web.Request) -> web.Response | None:
        expected = "Basic " + base64.b64encode(f":{PAT}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.Response(
                status=401,
                content_type="text/html",
                text="<html><head><title>Access Denied</title></head><body>Access Denied: "
                "The Personal Access Token used has expired.</body></html>",
            )
        if request.query.get("api-version") != "7.1":
            return _error(400, "The requested REST API version is not supported.", "Version")
        info = request.match_info
        if (info["org"], info["project"]) != (ORG, PROJECT):
            return _error(404, "The project does not exist.", "ProjectDoesNotExist")
        return None

    async def run_pipeline(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        if request.match_info["pipeline"] != str(PIPELINE_ID):
            return _error(404, "Pipeline not found.", "PipelineNotFound")
        body = await request.json()
        parameters = body.get("templateParameters", {})
        unexpected = sorted(set(parameters) - PARAMETERS)
        if unexpected:
            return _error(400, f"Unexpected parameter '{unexpected[0]}'", "PipelineValidation")
        run = self.new_run(parameters)
        ref = body.get("resources", {}).get("repositories", {}).get("self", {}).get("refName")
        run.extra["ref"] = ref or "refs/heads/main"
        return web.json_response(self._run(run))

    async def get_run(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        run = self.runs.get(int(request.match_info["id"]))
        if run is None:
            return _error(404, "Run not found.", "RunNotFound")
        run.advance()
        return web.json_response(self._run(run))

    async def timeline(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        run = self.runs[int(request.match_info["id"])]
        if run.phase == "queued":
            return web.Response(status=204)  # no timeline before an agent picks the job up
        records = [
            _record("Stage", "Deploy", "inProgress"),
            _record("Job", "deploy_web", "inProgress"),
        ]
        for index, name in enumerate(run.script.steps):
            state = "completed" if index < run.step_index else "pending"
            if index == run.step_index and run.phase == "running":
                state = "inProgress"
            records.append(_record("Task", name, state))
        return web.json_response({"records": records, "id": "tl-1", "changeId": run.readings})

    async def update_build(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        run = self.runs[int(request.match_info["id"])]
        body = await request.json()
        if str(body.get("status", "")).lower() == "cancelling":
            run.cancelled = True
        return web.json_response(
            {"id": run.id, "status": "cancelling", "buildNumber": f"20261130.{run.id - 100}"}
        )

    def _run(self, run: Run) -> dict[str, Any]:
        base = f"{self.base_url}/{ORG}/{PROJECT}/_apis/pipelines/{PIPELINE_ID}"
        web_url = f"https://dev.azure.com/{ORG}/{PROJECT}/_build/results?buildId={run.id}"
        data: dict[str, Any] = {
            "_links": {
                "self": {"href": f"{base}/runs/{run.id}"},
                "web": {"href": web_url},
                "pipeline.web": {
                    "href": f"https://dev.azure.com/{ORG}/{PROJECT}/_build/definition?definitionId={PIPELINE_ID}"
                },
                "pipeline": {"href": f"{base}?revision=3"},
            },
            "templateParameters": run.parameters,
            "pipeline": {
                "url": f"{base}?revision=3",
                "id": PIPELINE_ID,
                "revision": 3,
                "name": "web-deploy",
                "folder": "\\",
            },
            "state": "completed" if run.phase == "done" else "inProgress",
            "createdDate": "2026-11-30T03:45:00.1234567Z",
            "url": f"{base}/runs/{run.id}",
            "resources": {
                "repositories": {"self": {"refName": run.extra["ref"], "version": "4a5b6c"}}
            },
            "id": run.id,
            "name": f"20261130.{run.id - 100}",
        }
        if run.phase == "done":
            data["result"] = (
                "canceled" if run.cancelled else ("succeeded" if run.succeeded else "failed")
            )
            data["finishedDate"] = "2026-11-30T03:47:12.7654321Z"
        return data


def _record(kind: str, name: str, state: str) -> dict[str, Any]:
    return {"id": f"{kind}-{name}", "type": kind, "name": name, "state": state, "result": None}


def _error(status: int, message: str, key: str) -> web.Response:
    return web.json_response(
        {
            "$id": "1",
            "innerException": None,
            "message": message,
            "typeName": f"Microsoft.Azure.Pipelines.WebApi.{key}Exception, "
            "Microsoft.Azure.Pipelines.WebApi",
            "typeKey": f"{key}Exception",
            "errorCode": 0,
            "eventId": 3000,
        },
        status=status,
    )
