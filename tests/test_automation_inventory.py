"""Inventory sources: a real local command and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from teams_bot.automation import (
    ExecInventory,
    HttpInventory,
    InventoryError,
    InventorySource,
    NodeInfo,
    parse_nodes,
)
from teams_bot.automation import inventory as inventory_module
from teams_bot.errors import CommandError

PY = sys.executable
NODES = [
    {
        "name": "web-07",
        "cluster": "prod-weu",
        "state": "NotReady",
        "since": "2026-11-20T08:15:00Z",
        "last_error": "kubelet stopped posting node status",
        "release": "web-2026.11.20-3",
    },
    {"name": "db-02", "cluster": "prod-neu", "state": "DiskPressure", "since": None},
]
WEB_07 = NodeInfo(
    name="web-07",
    cluster="prod-weu",
    state="NotReady",
    since=datetime(2026, 11, 20, 8, 15, tzinfo=UTC),
    last_error="kubelet stopped posting node status",
    release="web-2026.11.20-3",
)
DB_02 = NodeInfo("db-02", "prod-neu", "DiskPressure", None)


# --- parsing ---


@pytest.mark.parametrize("payload", [{"nodes": NODES}, NODES])
def test_parse_accepts_object_or_bare_list(payload: object) -> None:
    assert parse_nodes(json.dumps(payload).encode()) == [WEB_07, DB_02]


def test_parse_defaults_and_time_zones() -> None:
    raw = [
        {"name": "a", "cluster": "c"},
        {"name": "b", "cluster": "c", "since": "2026-11-20T10:00:00"},
        {"name": "c", "cluster": "c", "since": "2026-11-20T10:00:00+02:00", "extra": [1]},
    ]
    nodes = parse_nodes(json.dumps(raw).encode())
    assert nodes[0] == NodeInfo("a", "c", "failed", None, "", "")
    assert nodes[1].since == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert nodes[2].since == datetime(2026, 11, 20, 8, tzinfo=UTC)
    with pytest.raises(AttributeError):
        nodes[0].name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "not valid JSON: (empty)"),
        (b"Traceback: boom", "not valid JSON: Traceback: boom"),
        (b'{"nodes": 5}', 'must be {"nodes": [...]} or a list'),
        (b'"text"', 'must be {"nodes": [...]} or a list'),
        (b"[1]", "node #1 is not an object"),
        (b'[{"cluster": "c"}]', "node #1: 'name' must be a non-empty string"),
        (b'[{"name": "a", "cluster": "c"}, {"name": " ", "cluster": "c"}]', "node #2: 'name'"),
        (b'[{"name": "a"}]', "'cluster' must be a non-empty string"),
        (b'[{"name": "a", "cluster": "c", "state": 3}]', "'state' must be a string"),
        (b'[{"name": "a", "cluster": "c", "since": "yesterday"}]', "'since' must be an ISO 8601"),
        (b'[{"name": "a", "cluster": "c", "since": 1700000000}]', "'since' must be an ISO 8601"),
    ],
)
def test_parse_errors_are_clear(raw: bytes, message: str) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_nodes(raw)
    assert message in str(caught.value)
    assert isinstance(caught.value, CommandError)


def test_parse_error_quotes_at_most_200_characters() -> None:
    with pytest.raises(InventoryError) as caught:
        parse_nodes(b"\x1b[31m" + b"x" * 5000)
    text = str(caught.value)
    assert "x" * 150 in text and "x" * 200 not in text and "\x1b" not in text
    assert len(text) < 260


# --- exec inventory ---


@pytest.fixture
def script(tmp_path: Path) -> Callable[[str], Path]:
    def write(body: str) -> Path:
        path = tmp_path / f"inv{len(list(tmp_path.iterdir()))}.py"
        path.write_text(body)
        return path

    return write


def printing(payload: object) -> str:
    return (
        "import json, sys\n"
        f"nodes = json.loads({json.dumps(json.dumps(payload))})\n"
        "print(json.dumps({'argv': sys.argv[1:]}), file=sys.stderr)\n"
        "print(json.dumps(nodes))\n"
    )


def exec_inventory(path: Path, seconds: float = 20, *extra: str) -> ExecInventory:
    argv = (PY, str(path), "--cluster", "{cluster}", *extra)
    return ExecInventory(argv, timeout=timedelta(seconds=seconds), grace=0.3)


async def test_exec_happy_path(script: Callable[[str], Path]) -> None:
    source = exec_inventory(script(printing({"nodes": NODES})))
    assert isinstance(source, InventorySource)
    assert await source.failed_nodes(None) == [WEB_07, DB_02]


async def test_exec_passes_cluster_and_filters(script: Callable[[str], Path]) -> None:
    code = (
        "import json, sys\n"
        "nodes = [{'name': 'n-' + sys.argv[2], 'cluster': sys.argv[2] or 'all'},\n"
        "         {'name': 'other', 'cluster': 'elsewhere'}]\n"
        "print(json.dumps(nodes))\n"
    )
    source = exec_inventory(script(code))
    hostile = "prod; touch pwned $(id)"
    assert [n.name for n in await source.failed_nodes(hostile)] == [f"n-{hostile}"]
    assert [n.name for n in await source.failed_nodes(None)] == ["n-", "other"]


async def test_exec_empty_list(script: Callable[[str], Path]) -> None:
    assert await exec_inventory(script(printing([]))).failed_nodes("x") == []


async def test_exec_nonzero_exit_shows_the_error_not_the_traceback(
    script: Callable[[str], Path],
) -> None:
    code = "print('partial output')\nraise RuntimeError('inventory database is down')\n"
    with pytest.raises(InventoryError) as caught:
        await exec_inventory(script(code)).failed_nodes(None)
    text = str(caught.value)
    assert text == (
        "The inventory command failed (exit code 1): RuntimeError: inventory database is down"
    )


async def test_exec_nonzero_exit_without_output(script: Callable[[str], Path]) -> None:
    with pytest.raises(InventoryError, match=r"exit code 4\): no error output"):
        await exec_inventory(script("raise SystemExit(4)")).failed_nodes(None)


async def test_exec_long_error_is_cut(script: Callable[[str], Path]) -> None:
    code = "import sys; sys.stderr.write('E' * 5000); sys.exit(2)"
    with pytest.raises(InventoryError) as caught:
        await exec_inventory(script(code)).failed_nodes(None)
    assert len(str(caught.value)) < 260


async def test_exec_garbage_output(script: Callable[[str], Path]) -> None:
    with pytest.raises(InventoryError, match="not valid JSON: hello, not json"):
        await exec_inventory(script("print('hello, not json')")).failed_nodes(None)


async def test_exec_timeout(script: Callable[[str], Path]) -> None:
    code = "import time; print('[', flush=True); time.sleep(30)"
    started = asyncio.get_running_loop().time()
    with pytest.raises(InventoryError, match="did not answer within 1s"):
        await exec_inventory(script(code), 1).failed_nodes(None)
    assert asyncio.get_running_loop().time() - started < 5


async def test_exec_cannot_start(tmp_path: Path) -> None:
    source = ExecInventory((str(tmp_path / "missing-tool"), "{cluster}"))
    with pytest.raises(InventoryError, match="could not start: No such file or directory"):
        await source.failed_nodes(None)


async def test_exec_output_too_large(
    script: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory_module, "MAX_BYTES", 1000)
    with pytest.raises(InventoryError, match="more than 8 MB"):
        await exec_inventory(script(printing([NODES[0]] * 50))).failed_nodes(None)


async def test_exec_gets_no_secrets(
    script: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MicrosoftAppPassword", "sekrit")
    code = (
        "import json, os\n"
        "print(json.dumps([{'name': k, 'cluster': v} for k, v in os.environ.items()]))\n"
    )
    nodes = await exec_inventory(script(code)).failed_nodes(None)
    assert "MicrosoftAppPassword" not in {n.name for n in nodes}
    assert "sekrit" not in {n.cluster for n in nodes}


# --- http inventory ---


class FakeInventoryService:
    def __init__(self) -> None:
        self.requests: list[web.Request] = []
        self.app = web.Application()
        self.app.router.add_get("/nodes", self.nodes)
        self.app.router.add_get("/list", self.bare_list)
        self.app.router.add_get("/status/{code}", self.status)
        self.app.router.add_get("/slow", self.slow)
        self.app.router.add_get("/text", self.text)
        self.app.router.add_get("/moved", self.moved)
        self.app.router.add_get("/big", self.big)
        self.base = ""
        self.release = asyncio.Event()

    async def nodes(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        if request.headers.get("Authorization", "Bearer good") != "Bearer good":
            return web.Response(status=401, text="bad token")
        return web.json_response({"nodes": NODES})

    async def bare_list(self, request: web.Request) -> web.Response:
        return web.json_response(NODES, content_type="text/plain")

    async def status(self, request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        return web.Response(status=code, text=f"\x1b[1mproxy error {code}\x1b[0m " + "z" * 900)

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.wait_for(self.release.wait(), 10)
        return web.json_response([])

    async def text(self, request: web.Request) -> web.Response:
        return web.Response(text="<html>maintenance</html>")

    async def moved(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        raise web.HTTPFound("/nodes")

    async def big(self, request: web.Request) -> web.Response:
        return web.Response(body=b"[" + b" " * 2000 + b"]")


@pytest.fixture
async def service() -> AsyncIterator[FakeInventoryService]:
    fake = FakeInventoryService()
    runner = web.AppRunner(fake.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.base = f"http://{host}:{port}"
    yield fake
    fake.release.set()
    await runner.cleanup()


def http(url: str, seconds: float = 5, token_env: str | None = None) -> HttpInventory:
    return HttpInventory(url, timeout=timedelta(seconds=seconds), token_env=token_env)


async def test_http_happy_path_with_token(
    service: FakeInventoryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_TEST_TOKEN", "good")
    source = http(f"{service.base}/nodes", token_env="OPSBOT_TEST_TOKEN")
    assert isinstance(source, InventorySource)
    assert await source.failed_nodes(None) == [WEB_07, DB_02]
    assert await source.failed_nodes("prod-neu") == [DB_02]
    first, second = service.requests
    assert first.headers["Authorization"] == "Bearer good"
    assert "cluster" not in first.query and second.query["cluster"] == "prod-neu"


async def test_http_bare_list_whatever_the_content_type(service: FakeInventoryService) -> None:
    assert await http(f"{service.base}/list").failed_nodes(None) == [WEB_07, DB_02]


async def test_http_without_token_sends_no_authorization(service: FakeInventoryService) -> None:
    await http(f"{service.base}/nodes").failed_nodes(None)
    assert "Authorization" not in service.requests[0].headers


async def test_http_rejected_token_is_reported_without_the_token(
    service: FakeInventoryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_TEST_TOKEN", "wrong-secret-token")
    with pytest.raises(InventoryError) as caught:
        await http(f"{service.base}/nodes", token_env="OPSBOT_TEST_TOKEN").failed_nodes(None)
    assert "answered HTTP 401: bad token" in str(caught.value)
    assert "wrong-secret-token" not in str(caught.value)


async def test_http_token_variable_missing(
    service: FakeInventoryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSBOT_TEST_TOKEN", raising=False)
    with pytest.raises(InventoryError, match=r"token is not set .*OPSBOT_TEST_TOKEN"):
        await http(f"{service.base}/nodes", token_env="OPSBOT_TEST_TOKEN").failed_nodes(None)
    assert service.requests == []


@pytest.mark.parametrize("code", [404, 500, 503])
async def test_http_error_status(service: FakeInventoryService, code: int) -> None:
    with pytest.raises(InventoryError) as caught:
        await http(f"{service.base}/status/{code}").failed_nodes(None)
    text = str(caught.value)
    assert text.startswith("The inventory service (127.0.0.1:")
    assert f"answered HTTP {code}: proxy error {code} zzz" in text
    assert "\x1b" not in text and len(text) < 300


async def test_http_redirect_is_not_followed(
    service: FakeInventoryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_TEST_TOKEN", "good")
    with pytest.raises(InventoryError, match="answered HTTP 302"):
        await http(f"{service.base}/moved", token_env="OPSBOT_TEST_TOKEN").failed_nodes(None)
    assert [r.path for r in service.requests] == ["/moved"]


async def test_http_not_json(service: FakeInventoryService) -> None:
    with pytest.raises(InventoryError, match="not valid JSON: <html>maintenance</html>"):
        await http(f"{service.base}/text").failed_nodes(None)


async def test_http_timeout(service: FakeInventoryService) -> None:
    with pytest.raises(InventoryError, match=r"\(127.0.0.1:\d+\) did not answer within 1s"):
        await http(f"{service.base}/slow", seconds=1).failed_nodes(None)


async def test_http_too_large(
    service: FakeInventoryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory_module, "MAX_BYTES", 1000)
    with pytest.raises(InventoryError, match="sent over 8 MB"):
        await http(f"{service.base}/big").failed_nodes(None)


async def test_http_unreachable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(InventoryError) as caught:
        await http(f"http://user:pw-hidden@127.0.0.1:{port}/n?key=hidden").failed_nodes(None)
    text = str(caught.value)
    assert text.startswith(f"Could not reach the inventory service (127.0.0.1:{port}):")
    assert "hidden" not in text and "Traceback" not in text
