"""GitHub REST stand-in for Actions: workflow_dispatch, runs, jobs, cancel.

Shapes from docs.github.com/rest/actions (workflows, workflow-runs, workflow-jobs) and the
2026-02-19 changelog: `return_run_details: true` turns the dispatch's 204 into 200 with
{"workflow_run_id", "run_url", "html_url"}. Errors look like GitHub's:
{"message": "Bad credentials", "documentation_url": ..., "status": "401"}.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.standins.base import Run, StandIn

TOKEN = "ghp_standinTOKEN0123456789abcdefABCDEF"
OWNER, REPO = "contoso", "web"
WORKFLOW = "deploy.yml"
WORKFLOW_ID = 161335
INPUTS = {"service", "version", "environment"}  # the workflow's declared inputs
DOCS = "https://docs.github.com/rest"
APP_ID, INSTALLATION_ID = "1049532", 58213377


@cache
def app_private_key() -> str:
    """The GitHub App's private key (PEM), as downloaded from the app's settings page."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def _error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": DOCS, "status": str(status)}, status=status
    )


class GitHubStandIn(StandIn):
    def __init__(self) -> None:
        super().__init__()
        self.return_run_details = True  # False: the older 204-only behaviour
        self.installation_tokens: list[str] = []

    def routes(self) -> list[web.RouteDef]:
        prefix = "/repos/{owner}/{repo}/actions"
        return [
            web.post("/app/installations/{id}/access_tokens", self.access_token),
            web.post(prefix + "/workflows/{workflow}/dispatches", self.dispatch),
            web.get(prefix + "/workflows/{workflow}/runs", self.list_runs),
            web.get(prefix + "/runs/{id}", self.get_run),
            web.get(prefix + "/runs/{id}/jobs", self.get_jobs),
            web.post(prefix + "/runs/{id}/cancel", self.cancel),
        ]

    async def access_token(self, request: web.Request) -> web.Response:
        """POST /app/installations/{id}/access_tokens with the app's JWT (RS256, <= 10 min)."""
        assertion = request.headers.get("Authorization", "").removeprefix("Bearer ")
        public = serialization.load_pem_private_key(app_private_key().encode(), None).public_key()
        try:
            claims = jwt.decode(assertion, public, algorithms=["RS256"], leeway=60)
        except jwt.PyJWTError:
            return _error(401, "A JSON web token could not be decoded")
        if claims.get("iss") != APP_ID or claims["exp"] - claims["iat"] > 600:
            return _error(401, "'Expiration time' claim ('exp') is too far in the future")
        if request.match_info["id"] != str(INSTALLATION_ID):
            return _error(404, "Not Found")
        token = "ghs_" + secrets.token_urlsafe(27)
        self.installation_tokens.append(token)
        expires = datetime.now(UTC) + timedelta(hours=1)
        return web.json_response(
            {
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": {"actions": "write", "metadata": "read"},
                "repository_selection": "selected",
            },
            status=201,
        )

    def _refused(self, request: web.Request) -> web.Response | None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if given != TOKEN and given not in self.installation_tokens:
            return _error(401, "Bad credentials")
        info = request.match_info
        if (info["owner"], info["repo"]) != (OWNER, REPO):
            return _error(404, "Not Found")
        return None

    async def dispatch(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        if request.match_info["workflow"] not in (WORKFLOW, str(WORKFLOW_ID)):
            return _error(404, "Not Found")
        body = await request.json()
        inputs = body.get("inputs", {})
        unexpected = sorted(set(inputs) - INPUTS)
        if unexpected:
            return _error(422, f"Unexpected inputs provided: {unexpected}")
        if not isinstance(body.get("ref"), str):
            return _error(422, 'Invalid request.\n\n"ref" wasn\'t supplied.')
        run = self.new_run(inputs)
        run.extra["created_at"] = _now()
        run.extra["ref"] = body["ref"]
        if body.get("return_run_details") and self.return_run_details:
            return web.json_response(
                {
                    "workflow_run_id": run.id,
                    "run_url": self._api_url(run),
                    "html_url": self._html_url(run),
                }
            )
        return web.Response(status=204)

    async def list_runs(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        created = request.query.get("created", "")
        since = created[2:] if created.startswith(">=") else ""
        runs = [
            self._run(run)
            for run in sorted(self.runs.values(), key=lambda r: -r.id)
            if request.query.get("event") in (None, "workflow_dispatch")
            and run.extra["created_at"] >= since
        ]
        return web.json_response({"total_count": len(runs), "workflow_runs": runs})

    async def get_run(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        run = self.runs.get(int(request.match_info["id"]))
        if run is None:
            return _error(404, "Not Found")
        run.advance()
        return web.json_response(self._run(run))

    async def get_jobs(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        run = self.runs[int(request.match_info["id"])]
        status, conclusion = _status(run)
        steps = [
            {
                "name": name,
                "status": _step_status(run, index),
                "conclusion": None,
                "number": index + 1,
            }
            for index, name in enumerate(run.script.steps)
        ]
        job = {
            "id": run.id * 10,
            "run_id": run.id,
            "name": "deploy",
            "status": status,
            "conclusion": conclusion,
            "html_url": f"{self._html_url(run)}/job/{run.id * 10}",
            "steps": steps,
        }
        return web.json_response({"total_count": 1, "jobs": [job]})

    async def cancel(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        run = self.runs[int(request.match_info["id"])]
        if run.phase == "done":
            return _error(409, "Cannot cancel a workflow run that is completed.")
        run.cancelled = True
        return web.json_response({}, status=202)

    def _api_url(self, run: Run) -> str:
        return f"{self.base_url}/repos/{OWNER}/{REPO}/actions/runs/{run.id}"

    def _html_url(self, run: Run) -> str:
        return f"https://github.com/{OWNER}/{REPO}/actions/runs/{run.id}"

    def _run(self, run: Run) -> dict[str, Any]:
        status, conclusion = _status(run)
        return {
            "id": run.id,
            "name": "Deploy",
            "display_title": "Deploy",
            "run_number": run.id - 100,
            "run_attempt": 1,
            "event": "workflow_dispatch",
            "status": status,
            "conclusion": conclusion,
            "workflow_id": WORKFLOW_ID,
            "head_branch": run.extra["ref"],
            "url": self._api_url(run),
            "html_url": self._html_url(run),
            "jobs_url": self._api_url(run) + "/jobs",
            "cancel_url": self._api_url(run) + "/cancel",
            "created_at": run.extra["created_at"],
            "updated_at": _now(),
        }


def _status(run: Run) -> tuple[str, str | None]:
    phase = run.phase
    if phase == "queued":
        return "queued", None
    if phase == "running":
        return "in_progress", None
    if run.cancelled:
        return "completed", "cancelled"
    return "completed", "success" if run.succeeded else "failure"


def _step_status(run: Run, index: int) -> str:
    if run.phase == "done" or index < run.step_index:
        return "completed"
    if run.phase == "running" and index == run.step_index:
        return "in_progress"
    return "queued"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
