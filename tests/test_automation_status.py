"""Service status sources (exec and HTTP), as `status` will read them."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from teams_bot.automation import Health, StatusError
from teams_bot.automation.specs import ExecSpec, HttpInventorySpec
from teams_bot.automation.status import parse_health, status_source

PY = sys.executable
BODY = {
    "environments": [
        {"environment": "production", "version": "1.4.2", "healthy": True, "detail": "3/3 ready"},
        {"environment": "staging", "version": "1.5.0-rc.1", "healthy": False},
        {"environment": "dev"},
    ]
}


def exec_spec(tmp_path: Path, code: str, seconds: float = 10) -> ExecSpec:
    """The code as a script file: argv elements may not contain braces."""
    script = tmp_path / "status.py"
    script.write_text(code)
    return ExecSpec((PY, str(script), "{service}"), timedelta(seconds=seconds), tmp_path, ())


async def test_exec_source_gets_the_service_as_one_argument(tmp_path: Path) -> None:
    code = "import json, sys; print(json.dumps([{'environment': sys.argv[1]}]))"
    health = await status_source(exec_spec(tmp_path, code)).health("web; rm -rf /")
    assert health == [Health("web; rm -rf /")]


@pytest.mark.parametrize(
    ("code", "seconds", "message"),
    [
        ("import sys; sys.exit('no such service')", 10, "failed (exit code 1): no such service"),
        ("import time; time.sleep(30)", 1, "did not answer within 1s"),
        ("print('not json')", 10, "not valid JSON: not json"),
        ("print('{\"environments\": 5}')", 10, 'must be {"environments": [...]}'),
        ('print(\'[{"version": "1"}]\')', 10, "'environment' must be a non-empty string"),
        ('print(\'[{"environment": "a", "healthy": "yes"}]\')', 10, "'healthy' must be"),
    ],
)
async def test_exec_source_failures_are_safe_messages(
    tmp_path: Path, code: str, seconds: float, message: str
) -> None:
    with pytest.raises(StatusError, match=re.escape(message)):
        await status_source(exec_spec(tmp_path, code, seconds)).health("web")


@pytest.fixture
async def status_server() -> AsyncIterator[str]:
    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer st4tus-token":
            return web.json_response({"error": "unauthorized"}, status=401)
        if request.query.get("service") != "web":
            return web.json_response({"error": "unknown service"}, status=404)
        return web.json_response(BODY)

    app = web.Application()
    app.add_routes([web.get("/health", handler)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/health"
    await runner.cleanup()


async def test_http_source(status_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_STATUS_TOKEN", "st4tus-token")
    source = status_source(
        HttpInventorySpec(status_server, timedelta(seconds=5), "OPSBOT_STATUS_TOKEN")
    )
    health = await source.health("web")
    assert health == [
        Health("production", "1.4.2", True, "3/3 ready"),
        Health("staging", "1.5.0-rc.1", False),
        Health("dev"),
    ]
    with pytest.raises(StatusError, match=r"answered HTTP 404: .*unknown service"):
        await source.health("api")
    monkeypatch.setenv("OPSBOT_STATUS_TOKEN", "wrong")
    with pytest.raises(StatusError, match="HTTP 401") as caught:
        await source.health("web")
    assert "wrong" not in str(caught.value)


async def test_http_source_unreachable() -> None:
    source = status_source(
        HttpInventorySpec("http://127.0.0.1:9/health", timedelta(seconds=2), None)
    )
    with pytest.raises(StatusError, match=r"Could not reach the status service \(127.0.0.1:9\)"):
        await source.health("web")


def test_parse_health_accepts_both_shapes() -> None:
    assert parse_health(b'[{"environment": "a"}]') == parse_health(
        b'{"environments": [{"environment": "a"}]}'
    )
