"""GitHub Actions: a `workflow_dispatch` with inputs, then the run it started, polled to the end.

POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches with `ref`, `inputs` and
`return_run_details: true`: GitHub answers 200 with `workflow_run_id` and `html_url`. Older
servers (GitHub Enterprise Server) answer 204 without them; then the run is found among
GET .../actions/workflows/{workflow}/runs?event=workflow_dispatch&created=>=<dispatch time>.
The run's `status` / `conclusion` and its jobs' step names give the progress; a timed-out
run is cancelled with POST .../actions/runs/{id}/cancel. Credentials: a token (fine-grained PAT)
or a GitHub App, whose installation tokens are minted and renewed here (github_app.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from teams_bot.automation.models import JobStatus
from teams_bot.automation.pipelines.common import PipelineRunner, Poll, RemoteRun, Timing
from teams_bot.automation.pipelines.github_app import GitHubApp, InstallationTokens
from teams_bot.automation.pipelines.http import Api, RemoteError
from teams_bot.automation.pipelines.secrets import Secret

_CONCLUSIONS: dict[str, JobStatus] = {
    "success": "succeeded",
    "cancelled": "cancelled",
    "timed_out": "timed_out",
    "skipped": "cancelled",
}
_FIND_ATTEMPTS = 10
_CLOCK_SKEW = timedelta(seconds=30)


@dataclass(frozen=True)
class GitHubSpec:
    repository: str  # owner/name
    workflow: str  # file name (deploy.yml) or numeric id
    ref: str
    token: Secret | None = None  # a token, or else:
    app: GitHubApp | None = None  # a GitHub App installation
    api_url: str = "https://api.github.com"
    api_version: str = "2022-11-28"
    return_run_details: bool = True

    def __post_init__(self) -> None:
        if (self.token is None) == (self.app is None):
            raise ValueError("a GitHub runner needs a token or a GitHub App, not both")


class GitHubActionsRunner(PipelineRunner):
    service = "GitHub Actions"

    def __init__(self, name: str, spec: GitHubSpec, timing: Timing | None = None) -> None:
        super().__init__(name, timing)
        self.spec = spec
        self.base = f"{spec.api_url.rstrip('/')}/repos/{spec.repository}/actions"
        self.tokens = InstallationTokens(spec.app, spec.api_url) if spec.app else None

    @property
    def secrets(self) -> Sequence[Secret | None]:
        if self.tokens is None:
            return (self.spec.token,)
        return (self.tokens.app.private_key, self.tokens.current)

    async def _headers(self, api: Api) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": self.spec.api_version,
            "User-Agent": "opsbot",
        }
        token = self.spec.token
        if self.tokens is not None:
            token = await self.tokens.token(api, headers)
            if token not in api.secrets:
                api.secrets = (*api.secrets, token)
        assert token is not None  # GitHubSpec has one or the other
        return {**headers, "Authorization": f"Bearer {token.reveal()}"}

    async def start(self, api: Api, action: str, parameters: Mapping[str, str]) -> RemoteRun:
        workflow = quote(self.spec.workflow, safe="")
        body: dict[str, Any] = {"ref": self.spec.ref, "inputs": dict(parameters)}
        if self.spec.return_run_details:
            body["return_run_details"] = True
        since = datetime.now(UTC) - _CLOCK_SKEW
        reply = await api.call(
            "POST",
            f"{self.base}/workflows/{workflow}/dispatches",
            json_body=body,
            headers=await self._headers(api),
            ok=(200, 204),
            idempotent=False,
        )
        details = reply.json(self.service) if reply.status == 200 else None
        if isinstance(details, dict) and details.get("workflow_run_id"):
            return self._remote(details["workflow_run_id"], details.get("html_url"))
        return await self._find(api, workflow, since)

    async def _find(self, api: Api, workflow: str, since: datetime) -> RemoteRun:
        """The newest workflow_dispatch run created since we asked (204 answers)."""
        created = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        for _ in range(_FIND_ATTEMPTS):
            reply = await api.call(
                "GET",
                f"{self.base}/workflows/{workflow}/runs",
                params={"event": "workflow_dispatch", "created": f">={created}", "per_page": "5"},
                headers=await self._headers(api),
            )
            data = reply.json(self.service)
            runs = data.get("workflow_runs") if isinstance(data, dict) else None
            if isinstance(runs, list) and runs and isinstance(runs[0], dict):
                return self._remote(runs[0].get("id"), runs[0].get("html_url"))
            await asyncio.sleep(self.timing.poll_interval)
        raise RemoteError("GitHub Actions accepted the dispatch but the run did not show up.")

    def _remote(self, run_id: object, html_url: object) -> RemoteRun:
        if not isinstance(run_id, int):
            raise RemoteError("GitHub Actions sent a run without a numeric id.")
        return RemoteRun(
            id=str(run_id),
            url=html_url if isinstance(html_url, str) else None,
            api_url=f"{self.base}/runs/{run_id}",
        )

    async def poll(self, api: Api, run: RemoteRun) -> Poll:
        headers = await self._headers(api)
        data = (await api.call("GET", run.api_url, headers=headers)).json(self.service)
        if not isinstance(data, dict):
            raise RemoteError("GitHub Actions sent a run that is not an object.")
        if isinstance(data.get("html_url"), str):
            run.url = data["html_url"]
        status, conclusion = data.get("status"), data.get("conclusion")
        if status == "completed":
            done = _CONCLUSIONS.get(str(conclusion), "failed")
            return Poll("done", done, detail=f"conclusion: {conclusion}")
        if status in ("queued", "waiting", "requested", "pending"):
            return Poll("queued", detail=str(status))
        return Poll("running", step=await self._step(api, run))

    async def _step(self, api: Api, run: RemoteRun) -> str:
        """'job / step' of the first step in progress, "" when none is reported."""
        reply = await api.call("GET", f"{run.api_url}/jobs", headers=await self._headers(api))
        data = reply.json(self.service)
        jobs = data.get("jobs") if isinstance(data, dict) else None
        for job in jobs if isinstance(jobs, list) else []:
            if not isinstance(job, dict) or job.get("status") != "in_progress":
                continue
            steps = job.get("steps")
            current = [
                s
                for s in (steps if isinstance(steps, list) else [])
                if isinstance(s, dict) and s.get("status") == "in_progress"
            ]
            name = str(job.get("name", ""))
            return f"{name} / {current[0].get('name', '')}" if current else name
        return ""

    async def cancel(self, api: Api, run: RemoteRun) -> bool:
        await api.call(
            "POST", f"{run.api_url}/cancel", headers=await self._headers(api), ok=(202, 409)
        )
        return True
