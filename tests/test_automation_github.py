"""GitHubActionsRunner against the GitHub REST stand-in: dispatch, find, poll, cancel."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from teams_bot.automation import Job, Runner
from teams_bot.automation.pipelines import GitHubActionsRunner, GitHubSpec, Secret, Timing
from teams_bot.automation.pipelines.github_app import GitHubApp
from tests.standins.base import Script
from tests.standins.github import (
    APP_ID,
    INSTALLATION_ID,
    TOKEN,
    WORKFLOW,
    GitHubStandIn,
    app_private_key,
)

FAST = Timing(poll_interval=0.02, cancel_timeout=5, backoff=0.01)
PARAMETERS = (("service", "{service}"), ("version", "{version}"), ("environment", "{env}"))
HOSTILE = '1.2.3"; rm -rf / #$(id)`reboot`\n{{x}}'


def job(seconds: float = 10, **arguments: str) -> Job:
    values = {"service": "web", "version": "1.4.2", "env": "prod", **arguments}
    return Job(
        "deploy", arguments=values, timeout=timedelta(seconds=seconds), parameters=PARAMETERS
    )


@pytest.fixture
async def github() -> AsyncIterator[GitHubStandIn]:
    standin = GitHubStandIn()
    async with standin.serve():
        yield standin


def runner(github: GitHubStandIn, token: str = TOKEN, details: bool = True) -> GitHubActionsRunner:
    spec = GitHubSpec(
        repository="contoso/web",
        workflow=WORKFLOW,
        ref="main",
        token=Secret("GH_TOKEN", token),
        api_url=github.base_url,
        return_run_details=details,
    )
    return GitHubActionsRunner("gh", spec, FAST)


async def test_success_with_progress_and_link(github: GitHubStandIn) -> None:
    lines: list[str] = []

    async def progress(line: str) -> None:
        lines.append(line)

    gh = runner(github)
    assert isinstance(gh, Runner)
    result = await gh.run(job(), progress)
    assert result.status == "succeeded" and result.ok, result.output_tail
    assert result.url == "https://github.com/contoso/web/actions/runs/101"
    assert lines[0].startswith("GitHub Actions run requested: https://github.com/")
    assert "queued (queued)" in lines
    assert "running: deploy / Checkout" in lines and "running: deploy / Smoke test" in lines
    assert lines[-2:] == ["succeeded", "conclusion: success"]
    (dispatch,) = github.requests("POST", "/dispatches")
    assert dispatch.json() == {
        "ref": "main",
        "inputs": {"service": "web", "version": "1.4.2", "environment": "prod"},
        "return_run_details": True,
    }
    assert dispatch.headers["Accept"] == "application/vnd.github+json"
    assert dispatch.headers["X-GitHub-Api-Version"] == "2022-11-28"


async def test_without_run_details_the_run_is_found_by_listing(github: GitHubStandIn) -> None:
    github.return_run_details = False
    result = await runner(github, details=False).run(job())
    assert result.status == "succeeded", result.output_tail
    assert result.url == "https://github.com/contoso/web/actions/runs/101"
    (listing,) = github.requests("GET", "/workflows/deploy.yml/runs")
    assert listing.query["event"] == "workflow_dispatch"
    assert listing.query["created"].startswith(">=20")
    assert "return_run_details" not in github.requests("POST", "/dispatches")[0].json()


async def test_failing_run(github: GitHubStandIn) -> None:
    github.script = Script(outcome="failure")
    result = await runner(github).run(job())
    assert result.status == "failed" and not result.ok
    assert "conclusion: failure" in result.output_tail
    assert result.url and result.url in result.output_tail


async def test_hanging_run_times_out_and_is_cancelled(github: GitHubStandIn) -> None:
    github.script = Script(outcome="hang")
    result = await runner(github).run(job(seconds=1))
    assert result.status == "timed_out" and not result.ok
    assert 1 <= result.duration_seconds < 5
    assert len(github.requests("POST", "/runs/101/cancel")) == 1
    assert github.runs[101].cancelled
    assert "no result within 1s" in result.output_tail
    assert "cancel requested for the remote run" in result.output_tail
    assert result.url == "https://github.com/contoso/web/actions/runs/101"


async def test_429_with_retry_after_then_success(github: GitHubStandIn) -> None:
    github.fail_next(429, retry_after="1", path_contains="/dispatches")
    github.fail_next(502, path_contains="/runs/101", times=2)
    result = await runner(github).run(job())
    assert result.status == "succeeded", result.output_tail
    dispatches = github.requests("POST", "/dispatches")
    assert len(dispatches) == 2 and len(github.runs) == 1
    assert result.duration_seconds >= 1


async def test_5xx_on_the_dispatch_is_not_repeated(github: GitHubStandIn) -> None:
    github.fail_next(500, path_contains="/dispatches")
    result = await runner(github).run(job())
    assert result.status == "error"
    assert len(github.requests("POST", "/dispatches")) == 1
    assert "GitHub Actions answered HTTP 500" in result.output_tail


async def test_bad_credentials_fail_clearly_without_the_token(
    github: GitHubStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "ghp_wrongTOKENwrongTOKENwrongTOKEN0000"
    result = await runner(github, token=wrong).run(job())
    assert result.status == "error" and result.url is None
    assert (
        "GitHub Actions refused the credentials (HTTP 401): Bad credentials" in result.output_tail
    )
    assert wrong not in result.output_tail and wrong not in caplog.text
    assert wrong not in repr(runner(github, token=wrong).spec)


async def test_injection_looking_arguments_travel_as_json_strings(github: GitHubStandIn) -> None:
    result = await runner(github).run(job(version=HOSTILE, env="prod && reboot"))
    assert result.status == "succeeded"
    sent = json.loads(github.requests("POST", "/dispatches")[0].body)
    assert sent["inputs"] == {"service": "web", "version": HOSTILE, "environment": "prod && reboot"}
    assert github.runs[101].parameters["version"] == HOSTILE


async def test_secondary_rate_limit_403_is_retried(github: GitHubStandIn) -> None:
    github.fail_next(403, retry_after="1", path_contains="/jobs")
    result = await runner(github).run(job())
    assert result.status == "succeeded", result.output_tail


async def test_retry_after_too_long_gives_up_at_once(github: GitHubStandIn) -> None:
    github.fail_next(429, retry_after="120", path_contains="/dispatches")
    result = await runner(github).run(job())
    assert result.status == "error" and result.duration_seconds < 5
    assert "asked to wait 120 s; giving up" in result.output_tail
    assert len(github.requests("POST", "/dispatches")) == 1 and not github.runs


async def test_a_failing_cancel_still_ends_timed_out(github: GitHubStandIn) -> None:
    github.script = Script(outcome="hang")
    github.fail_next(500, path_contains="/cancel", times=10)
    result = await runner(github).run(job(seconds=1))
    assert result.status == "timed_out"
    assert "could not cancel the remote run: GitHub Actions answered HTTP 500" in result.output_tail
    assert len(github.requests("POST", "/cancel")) == FAST.attempts


def app_runner(github: GitHubStandIn, key: str | None = None) -> GitHubActionsRunner:
    app = GitHubApp(APP_ID, INSTALLATION_ID, Secret("GH_APP_KEY", key or app_private_key()))
    spec = GitHubSpec("contoso/web", WORKFLOW, "main", app=app, api_url=github.base_url)
    return GitHubActionsRunner("gh", spec, FAST)


async def test_github_app_installation_token_is_minted_once_and_reused(
    github: GitHubStandIn,
) -> None:
    gh = app_runner(github)
    assert (await gh.run(job())).status == "succeeded"
    assert (await gh.run(job())).status == "succeeded"
    assert len(github.requests("POST", "/access_tokens")) == 1
    (token,) = github.installation_tokens
    assert {c.headers["Authorization"] for c in github.requests("POST", "/dispatches")} == {
        f"Bearer {token}"
    }


async def test_github_app_with_the_wrong_key_fails_clearly(github: GitHubStandIn) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    result = await app_runner(github, pem).run(job())
    assert result.status == "error"
    assert "refused the credentials (HTTP 401): A JSON web token could not be decoded" in (
        result.output_tail
    )
    assert "PRIVATE KEY" not in result.output_tail and not github.runs
    broken = await app_runner(github, "not a key").run(job())
    assert "The GitHub App private key is not a usable RSA key" in broken.output_tail
