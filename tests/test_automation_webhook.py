"""WebhookRunner against the signed-webhook stand-in (polling and callbacks), and the
callback verification the bot's callback route will use."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web

from teams_bot.automation import Job
from teams_bot.automation.pipelines import (
    CallbackError,
    CallbackHub,
    Secret,
    Timing,
    WebhookRunner,
    WebhookSpec,
    signed_headers,
    verify_callback,
)
from tests.standins.base import Script
from tests.standins.webhook import SECRET, WebhookStandIn, sign

FAST = Timing(poll_interval=0.02, cancel_timeout=5, backoff=0.01)
PARAMETERS = (("service", "{service}"), ("version", "{version}"), ("environment", "{env}"))
HOSTILE = "1.0'; DROP TABLE deploys; -- $(reboot) \u202e\x1b[31m"
KEY = Secret("WEBHOOK_SECRET", SECRET)


def job(seconds: float = 10, **arguments: str) -> Job:
    values = {"service": "web", "version": "1.4.2", "env": "prod", **arguments}
    return Job(
        "deploy", arguments=values, timeout=timedelta(seconds=seconds), parameters=PARAMETERS
    )


@pytest.fixture
async def hook() -> AsyncIterator[WebhookStandIn]:
    standin = WebhookStandIn()
    async with standin.serve():
        yield standin


def runner(hook: WebhookStandIn, secret: str = SECRET) -> WebhookRunner:
    spec = WebhookSpec(url=f"{hook.base_url}/hooks/deploy", secret=Secret("WEBHOOK_SECRET", secret))
    return WebhookRunner("hook", spec, FAST)


async def test_polling_success(hook: WebhookStandIn) -> None:
    lines: list[str] = []

    async def progress(line: str) -> None:
        lines.append(line)

    result = await runner(hook).run(job(), progress)
    assert result.status == "succeeded", result.output_tail
    assert result.url == "https://deploy.example/runs/101"
    assert "queued (waiting for a worker)" in lines and "running: Deploy" in lines
    assert lines[-2:] == ["succeeded", "deploy succeeded"]
    (post,) = hook.requests("POST", "/hooks/deploy")
    body = post.json()
    assert body["action"] == "deploy" and body["parameters"]["version"] == "1.4.2"
    assert post.headers["X-Opsbot-Signature"] == sign(
        SECRET, post.headers["X-Opsbot-Timestamp"], post.body
    )
    assert all("X-Opsbot-Signature" in call.headers for call in hook.requests("GET", "/runs/"))


async def test_failing_run(hook: WebhookStandIn) -> None:
    hook.script = Script(outcome="failure")
    result = await runner(hook).run(job())
    assert result.status == "failed" and "deploy failed" in result.output_tail


async def test_hanging_run_times_out_and_is_cancelled(hook: WebhookStandIn) -> None:
    hook.script = Script(outcome="hang")
    result = await runner(hook).run(job(seconds=1))
    assert result.status == "timed_out"
    (cancel,) = hook.requests("POST", "/cancel")
    assert json.loads(cancel.body) == {"run_id": hook.runs[101].extra["uuid"]}
    assert hook.runs[101].cancelled


async def test_429_with_retry_after_then_success(hook: WebhookStandIn) -> None:
    hook.fail_next(429, retry_after="1", path_contains="/hooks/deploy")
    result = await runner(hook).run(job())
    assert result.status == "succeeded", result.output_tail
    assert len(hook.requests("POST", "/hooks/deploy")) == 2 and len(hook.runs) == 1


async def test_wrong_secret_fails_clearly_without_the_secret(
    hook: WebhookStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "whsec_wrong_wrong_wrong_wrong_wrong"
    result = await runner(hook, secret=wrong).run(job())
    assert result.status == "error"
    assert (
        "the webhook service refused the credentials (HTTP 401): invalid signature"
        in result.output_tail
    )
    assert wrong not in result.output_tail and wrong not in caplog.text
    assert not hook.runs


async def test_injection_looking_arguments_are_json_values(hook: WebhookStandIn) -> None:
    result = await runner(hook).run(job(version=HOSTILE))
    assert result.status == "succeeded"
    assert hook.runs[101].parameters["version"] == HOSTILE


async def test_links_to_another_host_are_refused() -> None:
    async def elsewhere(request: web.Request) -> web.Response:
        return web.json_response({"status_url": "http://169.254.169.254/latest/meta-data"})

    other = WebhookStandIn()
    other.routes = lambda: [web.post("/hooks/deploy", elsewhere)]  # type: ignore[method-assign]
    async with other.serve():
        result = await runner(other).run(job())
    assert result.status == "error" and "another host; refused" in result.output_tail


@pytest.fixture
async def callback_route() -> AsyncIterator[tuple[str, CallbackHub]]:
    """What the core's POST /api/runners/{name}/callback route will do with the hub."""
    hub = CallbackHub()

    async def route(request: web.Request) -> web.Response:
        try:
            hub.deliver(request.match_info["name"], request.headers, await request.read())
        except CallbackError as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)
        return web.Response(status=204)

    app = web.Application()
    app.add_routes([web.post("/api/runners/{name}/callback", route)])
    server = web.AppRunner(app)
    await server.setup()
    site = web.TCPSite(server, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/api/runners/hook/callback", hub
    await server.cleanup()


def callback_runner(hook: WebhookStandIn, url: str, hub: CallbackHub) -> WebhookRunner:
    spec = WebhookSpec(f"{hook.base_url}/hooks/deploy", KEY, "callback", url)
    return WebhookRunner("hook", spec, FAST, hub)


async def test_callback_mode_success(
    hook: WebhookStandIn, callback_route: tuple[str, CallbackHub]
) -> None:
    url, hub = callback_route
    lines: list[str] = []

    async def progress(line: str) -> None:
        lines.append(line)

    result = await callback_runner(hook, url, hub).run(job(), progress)
    assert result.status == "succeeded", result.output_tail
    assert "running: Smoke test" in lines and lines[-1] == "deploy succeeded"
    assert hook.requests("POST", "/hooks/deploy")[0].json()["callback_url"] == url
    assert not hook.requests("GET") and set(hook.callback_answers) == {204}


async def test_callback_mode_hang_times_out(
    hook: WebhookStandIn, callback_route: tuple[str, CallbackHub]
) -> None:
    url, hub = callback_route
    hook.script = Script(outcome="hang")
    result = await callback_runner(hook, url, hub).run(job(seconds=1))
    assert result.status == "timed_out"
    assert hub._waiting == {}


def test_verify_callback_accepts_a_signed_update() -> None:
    body = json.dumps({"run_id": "r1", "status": "running", "step": "Deploy"}).encode()
    update = verify_callback(KEY, signed_headers(KEY, body), body)
    assert (update.run_id, update.status, update.step) == ("r1", "running", "Deploy")


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("bad-signature", 401),
        ("other-secret", 401),
        ("stale", 401),
        ("future", 401),
        ("no-headers", 401),
        ("tampered-body", 401),
        ("not-json", 400),
        ("unknown-status", 400),
        ("too-big", 413),
    ],
)
def test_verify_callback_refuses(change: str, status: int) -> None:
    now = time.time()
    body = json.dumps({"run_id": "r1", "status": "succeeded"}).encode()
    secret = Secret("OTHER", "another-secret") if change == "other-secret" else KEY
    when = {"stale": now - 301, "future": now + 301}.get(change, now)
    if change == "not-json":
        body = b"status=succeeded"
    if change == "unknown-status":
        body = json.dumps({"run_id": "r1", "status": "exploded"}).encode()
    if change == "too-big":
        body = b" " * (64 * 1024 + 1)
    headers = signed_headers(secret, body, now=when)
    if change == "bad-signature":
        headers["X-Opsbot-Signature"] = "sha256=" + "0" * 64
    if change == "no-headers":
        headers = {}
    if change == "tampered-body":
        body = body.replace(b"succeeded", b"failed")
    with pytest.raises(CallbackError) as caught:
        verify_callback(KEY, headers, body, now=now)
    assert caught.value.status == status
    assert SECRET not in str(caught.value)


def test_hub_refuses_unknown_runner_and_unexpected_run() -> None:
    hub = CallbackHub()
    body = json.dumps({"run_id": "r1", "status": "succeeded"}).encode()
    with pytest.raises(CallbackError) as caught:
        hub.deliver("hook", signed_headers(KEY, body), body)
    assert caught.value.status == 404
    hub.register_runner("hook", KEY)
    with pytest.raises(CallbackError, match="no run is waiting"):
        hub.deliver("hook", signed_headers(KEY, body), body)
    queue = hub.expect("hook", "r1")
    assert hub.deliver("hook", signed_headers(KEY, body), body).status == "succeeded"
    assert queue.get_nowait().status == "succeeded"


async def test_an_unexpected_answer_is_an_error_result_not_an_exception() -> None:
    async def odd(request: web.Request) -> web.Response:
        return web.json_response({"status_url": "/s"}, status=202)

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"status": "running", "step": ["not", "text"]})

    other = WebhookStandIn()
    other.routes = lambda: [web.post("/hooks/deploy", odd), web.get("/s", status)]  # type: ignore[method-assign]
    async with other.serve():
        result = await runner(other).run(job(seconds=1))
    assert result.status == "timed_out"  # a step that is not text is shown as text, not a crash
    assert "running: ['not', 'text']" in result.output_tail


async def test_a_bug_in_a_runner_is_an_error_result(
    hook: WebhookStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(WebhookRunner):
        async def poll(self, api, run):  # type: ignore[no-untyped-def]
            raise KeyError("surprise")

    spec = WebhookSpec(url=f"{hook.base_url}/hooks/deploy", secret=KEY)
    result = await Broken("hook", spec, FAST).run(job())
    assert result.status == "error" and result.url == "https://deploy.example/runs/101"
    assert (
        "unexpected error talking to the webhook service (see the bot's log)" in result.output_tail
    )
    assert "KeyError: 'surprise'" in caplog.text
