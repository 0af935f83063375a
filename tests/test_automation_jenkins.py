"""JenkinsRunner against the Jenkins stand-in: crumb, queue item, build, stages, stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from teams_bot.automation import Job
from teams_bot.automation.pipelines import JenkinsRunner, JenkinsSpec, Secret, Timing
from tests.standins.base import Script
from tests.standins.jenkins import API_TOKEN, JOB, USER, JenkinsStandIn

FAST = Timing(poll_interval=0.02, cancel_timeout=5, backoff=0.01)
PARAMETERS = (("SERVICE", "{service}"), ("VERSION", "{version}"), ("ENVIRONMENT", "{env}"))
HOSTILE = "1.2.3&ENVIRONMENT=prod%26x=1; $(reboot) `id` \n ../../script"


def job(seconds: float = 10, **arguments: str) -> Job:
    values = {"service": "web", "version": "1.4.2", "env": "staging", **arguments}
    return Job(
        "deploy", arguments=values, timeout=timedelta(seconds=seconds), parameters=PARAMETERS
    )


@pytest.fixture
async def jenkins() -> AsyncIterator[JenkinsStandIn]:
    standin = JenkinsStandIn()
    async with standin.serve():
        yield standin


def runner(jenkins: JenkinsStandIn, token: str = API_TOKEN) -> JenkinsRunner:
    spec = JenkinsSpec(
        url=jenkins.base_url, job=JOB, user=USER, token=Secret("JENKINS_TOKEN", token)
    )
    return JenkinsRunner("jenkins", spec, FAST)


async def test_success_follows_queue_item_to_build(jenkins: JenkinsStandIn) -> None:
    lines: list[str] = []

    async def progress(line: str) -> None:
        lines.append(line)

    result = await runner(jenkins).run(job(), progress)
    assert result.status == "succeeded", result.output_tail
    assert result.url == f"{jenkins.base_url}/job/deploy/job/web/101/"
    assert "queued (Waiting for next available executor on \u2018linux\u2019)" in lines
    assert "running: build #101" in lines
    assert "running: Deploy" in lines and "running: Smoke test" in lines
    assert lines[-2:] == ["succeeded", "result: SUCCESS"]
    (post,) = jenkins.requests("POST", "/buildWithParameters")
    assert post.path == "/job/deploy/job/web/buildWithParameters"
    assert parse_qs(post.body.decode()) == {
        "SERVICE": ["web"],
        "VERSION": ["1.4.2"],
        "ENVIRONMENT": ["staging"],
    }
    assert post.headers["Jenkins-Crumb"] == jenkins.crumbs[next(iter(jenkins.crumbs))]


async def test_failing_build(jenkins: JenkinsStandIn) -> None:
    jenkins.script = Script(outcome="failure")
    result = await runner(jenkins).run(job())
    assert result.status == "failed" and "result: FAILURE" in result.output_tail
    assert result.url and result.url in result.output_tail


async def test_hanging_build_times_out_and_is_stopped(jenkins: JenkinsStandIn) -> None:
    jenkins.script = Script(outcome="hang")
    result = await runner(jenkins).run(job(seconds=1))
    assert result.status == "timed_out"
    (stop,) = jenkins.requests("POST", "/stop")
    assert stop.path == "/job/deploy/job/web/101/stop" and "Jenkins-Crumb" in stop.headers
    assert jenkins.runs[101].cancelled


async def test_build_stuck_in_the_queue_is_cancelled(jenkins: JenkinsStandIn) -> None:
    jenkins.script = Script(queued_polls=10_000)
    result = await runner(jenkins).run(job(seconds=1))
    assert result.status == "timed_out" and result.url is None
    (cancel,) = jenkins.requests("POST", "/queue/cancelItem")
    assert cancel.query == {"id": "1101"}
    assert jenkins.runs[101].extra["queue_cancelled"]


async def test_429_with_retry_after_then_success(jenkins: JenkinsStandIn) -> None:
    jenkins.fail_next(429, retry_after="1", path_contains="/buildWithParameters")
    jenkins.fail_next(503, path_contains="/queue/item/")
    result = await runner(jenkins).run(job())
    assert result.status == "succeeded", result.output_tail
    assert len(jenkins.requests("POST", "/buildWithParameters")) == 2 and len(jenkins.runs) == 1


async def test_bad_token_fails_clearly_without_the_token(
    jenkins: JenkinsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "ffffffffffffffffffffffffffffffffff"
    result = await runner(jenkins, token=wrong).run(job())
    assert result.status == "error"
    assert "Jenkins refused the credentials (HTTP 401)" in result.output_tail
    assert wrong not in result.output_tail and wrong not in caplog.text
    assert not jenkins.requests("POST")


async def test_injection_looking_arguments_are_form_values(jenkins: JenkinsStandIn) -> None:
    result = await runner(jenkins).run(job(version=HOSTILE))
    assert result.status == "succeeded"
    assert jenkins.runs[101].parameters == {
        "SERVICE": "web",
        "VERSION": HOSTILE,
        "ENVIRONMENT": "staging",
    }
