"""Jenkins: buildWithParameters, follow the queue item to the build, poll it to the end.

GET /crumbIssuer/api/json gives the CSRF crumb (field name and value; the session cookie it
belongs to is kept), POST /job/{name}/buildWithParameters answers 201 with `Location:` the
queue item, GET {item}api/json shows `why` it waits and then `executable.url`/`number`, and
GET {build}api/json shows `building` and `result` (SUCCESS, UNSTABLE, FAILURE, ABORTED).
A timed-out item is cancelled (POST /queue/cancelItem?id=N) or its build stopped
(POST {build}stop). Credentials: a user name and an API token (Basic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from teams_bot.automation.models import JobStatus
from teams_bot.automation.pipelines.common import PipelineRunner, Poll, RemoteRun, Timing
from teams_bot.automation.pipelines.http import Api, RemoteError
from teams_bot.automation.pipelines.secrets import Secret, basic_auth

_RESULTS: dict[str, JobStatus] = {
    "SUCCESS": "succeeded",
    "ABORTED": "cancelled",
    "NOT_BUILT": "cancelled",
}


@dataclass(frozen=True)
class JenkinsSpec:
    url: str  # https://jenkins.example/ (with a context path if any)
    job: str  # "deploy" or "folder/deploy"
    user: str
    token: Secret


class JenkinsRunner(PipelineRunner):
    service = "Jenkins"

    def __init__(self, name: str, spec: JenkinsSpec, timing: Timing | None = None) -> None:
        super().__init__(name, timing)
        self.spec = spec
        self.base = spec.url.rstrip("/") + "/"
        self.job_url = self.base + "".join(f"job/{quote(p, safe='')}/" for p in spec.job.split("/"))

    @property
    def secrets(self) -> Sequence[Secret | None]:
        return (self.spec.token,)

    def _headers(self, run: RemoteRun | None = None) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Authorization": basic_auth(self.spec.user, self.spec.token),
        }
        if run is not None and "crumb_field" in run.extra:
            headers[run.extra["crumb_field"]] = run.extra["crumb"]
        return headers

    async def start(self, api: Api, action: str, parameters: Mapping[str, str]) -> RemoteRun:
        run = RemoteRun()
        await self._crumb(api, run)
        reply = await api.call(
            "POST",
            self.job_url + "buildWithParameters",
            form=dict(parameters),
            headers=self._headers(run),
            ok=(201,),
            idempotent=False,
        )
        location = reply.headers.get("Location", "")
        if not location:
            raise RemoteError("Jenkins queued the build but did not say where (no Location).")
        run.api_url = self._same_host(urljoin(self.base, location.rstrip("/") + "/"))
        run.extra["queue_id"] = location.rstrip("/").rsplit("/", 1)[-1]
        return run

    async def _crumb(self, api: Api, run: RemoteRun) -> None:
        """Fetch the CSRF crumb; a Jenkins without a crumb issuer answers 404."""
        url = self.base + "crumbIssuer/api/json"
        reply = await api.call("GET", url, headers=self._headers(), ok=(200, 404))
        data = reply.json(self.service) if reply.status == 200 else None
        if isinstance(data, dict) and {"crumb", "crumbRequestField"} <= data.keys():
            run.extra["crumb_field"] = str(data["crumbRequestField"])
            run.extra["crumb"] = str(data["crumb"])

    def _same_host(self, url: str) -> str:
        """Follow only links on the configured Jenkins: credentials go nowhere else."""
        mine, theirs = urlsplit(self.base), urlsplit(url)
        if (theirs.scheme, theirs.netloc) != (mine.scheme, mine.netloc):
            raise RemoteError("Jenkins pointed to another host; refused.")
        return url

    async def poll(self, api: Api, run: RemoteRun) -> Poll:
        if not run.url:
            return await self._queued(api, run)
        data = await self._json(api, run.url + "api/json", run)
        result = data.get("result")
        if data.get("building") is False and isinstance(result, str):
            return Poll("done", _RESULTS.get(result, "failed"), detail=f"result: {result}")
        return Poll("running", step=await self._stage(api, run))

    async def _stage(self, api: Api, run: RemoteRun) -> str:
        """The Pipeline stage in progress (Pipeline Stage View's wfapi), else the build name."""
        assert run.url is not None
        reply = await api.call(
            "GET", run.url + "wfapi/describe", headers=self._headers(run), ok=(200, 404)
        )
        data = reply.json(self.service) if reply.status == 200 else None
        stages = data.get("stages") if isinstance(data, dict) else None
        for stage in stages if isinstance(stages, list) else []:
            if isinstance(stage, dict) and stage.get("status") == "IN_PROGRESS":
                return str(stage.get("name", ""))
        return f"build #{run.id}"

    async def _queued(self, api: Api, run: RemoteRun) -> Poll:
        data = await self._json(api, run.api_url + "api/json", run)
        if data.get("cancelled"):
            return Poll("done", "cancelled", detail="the queue item was cancelled")
        executable = data.get("executable")
        if isinstance(executable, dict) and isinstance(executable.get("url"), str):
            run.url = self._same_host(urljoin(self.base, executable["url"].rstrip("/") + "/"))
            run.id = str(executable.get("number", ""))
            return Poll("running", step=f"build #{run.id}")
        return Poll("queued", detail=str(data.get("why") or "waiting"))

    async def _json(self, api: Api, url: str, run: RemoteRun) -> dict[str, Any]:
        data = (await api.call("GET", url, headers=self._headers(run))).json(self.service)
        if not isinstance(data, dict):
            raise RemoteError("Jenkins sent an answer that is not an object.")
        return data

    async def cancel(self, api: Api, run: RemoteRun) -> bool:
        headers = self._headers(run)
        if run.url:
            await api.call("POST", run.url + "stop", headers=headers, ok=(200, 302))
        else:
            await api.call(
                "POST",
                self.base + "queue/cancelItem",
                params={"id": run.extra.get("queue_id", "")},
                headers=headers,
                ok=(200, 204, 302),
            )
        return True
