"""Azure Pipelines: queue a run with template parameters, poll its state and result.

POST {organization}/{project}/_apis/pipelines/{id}/runs?api-version=7.1 with
`templateParameters` (and the branch to run, if configured) answers the run: `id`, `state`,
`_links.web.href`. GET .../runs/{runId} gives `state` (inProgress, canceling, completed) and
`result` (succeeded, failed, canceled). The build timeline names the task running now. A
timed-out run is cancelled through the Build API (a run id is a build id):
PATCH {organization}/{project}/_apis/build/builds/{id} with {"status": "cancelling"}.
Credentials: a personal access token (Basic, empty user name) or an Entra ID bearer token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from teams_bot.automation.models import JobStatus
from teams_bot.automation.pipelines.common import PipelineRunner, Poll, RemoteRun, Timing
from teams_bot.automation.pipelines.http import Api, RemoteError
from teams_bot.automation.pipelines.secrets import Secret, basic_auth

API_VERSION = "7.1"
_RESULTS: dict[str, JobStatus] = {"succeeded": "succeeded", "canceled": "cancelled"}


@dataclass(frozen=True)
class AzurePipelinesSpec:
    organization_url: str  # https://dev.azure.com/ORG
    project: str
    pipeline_id: int
    token: Secret
    auth: Literal["pat", "bearer"] = "pat"
    ref: str | None = None  # refs/heads/main; None: the pipeline's default branch


class AzurePipelinesRunner(PipelineRunner):
    service = "Azure Pipelines"

    def __init__(self, name: str, spec: AzurePipelinesSpec, timing: Timing | None = None) -> None:
        super().__init__(name, timing)
        self.spec = spec
        self.project_url = f"{spec.organization_url.rstrip('/')}/{quote(spec.project, safe='')}"

    @property
    def secrets(self) -> Sequence[Secret | None]:
        return (self.spec.token,)

    def _headers(self) -> dict[str, str]:
        token = self.spec.token
        auth = basic_auth("", token) if self.spec.auth == "pat" else f"Bearer {token.reveal()}"
        return {"Accept": "application/json", "Authorization": auth}

    async def start(self, api: Api, action: str, parameters: Mapping[str, str]) -> RemoteRun:
        body: dict[str, Any] = {"templateParameters": dict(parameters)}
        if self.spec.ref:
            body["resources"] = {"repositories": {"self": {"refName": self.spec.ref}}}
        url = f"{self.project_url}/_apis/pipelines/{self.spec.pipeline_id}/runs"
        reply = await api.call(
            "POST",
            url,
            params={"api-version": API_VERSION},
            json_body=body,
            headers=self._headers(),
            idempotent=False,
        )
        data = _run(reply.json(self.service))
        run_id = data.get("id")
        if not isinstance(run_id, int):
            raise RemoteError("Azure Pipelines sent a run without a numeric id.")
        return RemoteRun(id=str(run_id), url=_web(data), api_url=f"{url}/{run_id}")

    async def poll(self, api: Api, run: RemoteRun) -> Poll:
        reply = await api.call(
            "GET", run.api_url, params={"api-version": API_VERSION}, headers=self._headers()
        )
        data = _run(reply.json(self.service))
        run.url = _web(data) or run.url
        state, result = data.get("state"), data.get("result")
        if state == "completed":
            return Poll("done", _RESULTS.get(str(result), "failed"), detail=f"result: {result}")
        if state == "canceling":
            return Poll("running", step="canceling")
        step = await self._step(api, run)
        return Poll("running", step=step) if step else Poll("queued", detail="waiting for an agent")

    async def _step(self, api: Api, run: RemoteRun) -> str:
        """The name of the task (else job, stage) in progress on the build timeline."""
        reply = await api.call(
            "GET",
            f"{self.project_url}/_apis/build/builds/{run.id}/timeline",
            params={"api-version": API_VERSION},
            headers=self._headers(),
            ok=(200, 204, 404),
        )
        data = reply.json(self.service) if reply.status == 200 else None
        records = data.get("records") if isinstance(data, dict) else None
        running = [
            r
            for r in (records if isinstance(records, list) else [])
            if isinstance(r, dict) and r.get("state") == "inProgress"
        ]
        for kind in ("Task", "Job", "Stage"):
            names = [str(r.get("name", "")) for r in running if r.get("type") == kind]
            if names:
                return names[0]
        return ""

    async def cancel(self, api: Api, run: RemoteRun) -> bool:
        await api.call(
            "PATCH",
            f"{self.project_url}/_apis/build/builds/{run.id}",
            params={"api-version": API_VERSION},
            json_body={"status": "cancelling"},
            headers=self._headers(),
        )
        return True


def _run(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise RemoteError("Azure Pipelines sent a run that is not an object.")
    return data


def _web(data: dict[str, Any]) -> str | None:
    links = data.get("_links")
    web = links.get("web") if isinstance(links, dict) else None
    href = web.get("href") if isinstance(web, dict) else None
    return href if isinstance(href, str) else None
