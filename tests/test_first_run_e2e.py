"""Issue 11 from outside: `teams-bot serve` with nothing configured does the main job (a real
subprocess, local development mode, replies caught by a tiny connector on 127.0.0.1); start-up
mistakes are one line naming the setting and exit 2; read-only commands create nothing."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.test_serve_startup import CLI, cli_env, wait_ready


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Connector:
    """Just enough of the Bot Connector to take the bot's replies and card updates."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append((request.method, await request.json()))
        return web.json_response({"id": f"m{len(self.calls)}"})

    def texts(self, method: str) -> list[str]:
        return [json.dumps(body) for m, body in self.calls if m == method]


@pytest.fixture
async def connector() -> AsyncIterator[Connector]:
    fake = Connector()
    app = web.Application()
    app.router.add_route("*", "/v3/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.url = f"http://127.0.0.1:{port}/"
    yield fake
    await runner.cleanup()


def activity(connector: Connector, **extra: Any) -> dict[str, Any]:
    base = {
        "type": "message",
        "id": f"a{time.monotonic_ns()}",
        "channelId": "msteams",
        "serviceUrl": connector.url,
        "from": {"id": "29:ada", "name": "Ada Lovelace", "aadObjectId": "ada-aad-id"},
        "recipient": {"id": "28:bot", "name": "opsbot"},
        "conversation": {"id": "a:1on1", "conversationType": "personal", "tenantId": "t1"},
        "channelData": {"tenant": {"id": "t1"}},
    }
    return {**base, **extra}


async def wait_for(predicate: Any, seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.1)):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


def executes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "Action.Execute" and "title" in node else []
        return found + [a for v in node.values() for a in executes(v)]
    if isinstance(node, list):
        return [a for v in node for a in executes(v)]
    return []


async def test_nothing_configured_then_nodes_failed_reboot_heals_the_node(
    tmp_path: Path, connector: Connector
) -> None:
    port = free_port()
    env = {**cli_env(), "OPSBOT_EXAMPLE_DELAY": "0"}
    server = await asyncio.to_thread(
        subprocess.Popen,
        [*CLI, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await asyncio.to_thread(wait_ready, port)
        url = f"http://127.0.0.1:{port}/api/messages"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=activity(connector, text="nodes failed")) as resp:
                assert resp.status in (200, 201)
            await wait_for(lambda: connector.texts("POST"))
            card = json.loads(connector.texts("POST")[0])["attachments"][0]["content"]
            reboot = next(a for a in executes(card) if a["title"] == "Reboot")
            invoke = activity(
                connector,
                type="invoke",
                name="adaptiveCard/action",
                replyToId="m1",
                value={
                    "action": {
                        "type": "Action.Execute",
                        "verb": reboot["verb"],
                        "data": reboot["data"],
                    }
                },
            )
            async with http.post(url, json=invoke) as resp:
                assert resp.status == 200
                assert "Rebooting" in json.dumps(await resp.json())
            await wait_for(lambda: any("Rebooted by" in t for t in connector.texts("PUT")))
        state = json.loads((tmp_path / "data" / "example-state.json").read_text())
        healed = [n for n in state["nodes"] if n["name"] == "web-07"]
        assert healed and healed[0]["state"] == "healthy", "the example scripts really healed it"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert "infra/policy.trial.toml" in stderr and "infra/config.example.toml" in stderr
    assert (tmp_path / "data" / "action-secret").is_file()


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"TEAMS_BOT_POLICY_FILE": "missing.toml"}, "TEAMS_BOT_POLICY_FILE"),
        ({"TEAMS_BOT_CONFIG_FILE": "bad.toml"}, "TEAMS_BOT_CONFIG_FILE"),
        ({"TEAMS_BOT_DATA_DIR": "a-file/data"}, "TEAMS_BOT_DATA_DIR"),
    ],
)
def test_a_start_up_mistake_is_one_line_naming_the_setting(
    tmp_path: Path, env: dict[str, str], setting: str
) -> None:
    (tmp_path / "bad.toml").write_text("[inventory\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("not a directory", encoding="utf-8")
    for command in (["serve", "--port", str(free_port())], ["check-config"]):
        result = subprocess.run(
            [*CLI, *command],
            cwd=tmp_path,
            env={**cli_env(), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (command, result.stderr)
        errors = [line for line in result.stderr.splitlines() if "configuration error" in line]
        assert len(errors) == 1 and setting in errors[0], result.stderr
        assert "Traceback" not in result.stderr
        if "TEAMS_BOT_POLICY_FILE" in env:
            assert str(tmp_path / "missing.toml") in errors[0], "the path is shown absolute"


def test_read_only_commands_create_nothing_and_say_nothing_of_migrations(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "audit"], cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "data").exists()
    assert "alembic" not in result.stderr.lower() and "migrat" not in result.stderr.lower()
    assert "no audit records" in result.stderr


def test_check_config_shows_what_the_first_run_implies(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "check-config"],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "policy.trial.toml" in result.stdout and "config.example.toml" in result.stdout
    assert f"SQLite {tmp_path / 'data' / 'teams-bot.db'}" in result.stdout
    assert sys.executable  # the same interpreter ran it
