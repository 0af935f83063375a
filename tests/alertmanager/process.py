"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1.

Its webhook receiver points at the bot's alert route with `http_config.authorization` (a
bearer token), grouping by alertname and team with tiny waits so tests are quick. Missing
binary: the test fails under CI (scripts/install-alertmanager installs it) and skips otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

BINARY = Path(os.environ.get("ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager"))
MISSING = (f"{BINARY} is missing: run scripts/install-alertmanager (installs Debian's "
           "prometheus-alertmanager with apt-get) to run the real-Alertmanager tests")

CONFIG = """\
route:
  receiver: opsbot
  group_by: [alertname, team]
  group_wait: 200ms
  group_interval: 500ms
  repeat_interval: 1h
receivers:
  - name: opsbot
    webhook_configs:
      - url: "{url}"
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: "{token}"
"""


def require_binary() -> None:
    if BINARY.is_file() and os.access(BINARY, os.X_OK):
        return
    if os.environ.get("CI"):
        pytest.fail(MISSING)
    pytest.skip(MISSING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def alertmanager(work: Path, webhook_url: str, token: str) -> AsyncIterator[str]:
    """Run Alertmanager until the block ends; yields its base URL."""
    require_binary()
    config = _write_config(work, webhook_url, token)
    port = free_port()
    log = (work / "alertmanager.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        str(BINARY), f"--config.file={config}", f"--storage.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
        "--log.level=warn", stdout=log, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _ready(base, proc, work / "alertmanager.log")
        yield base
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


def _write_config(work: Path, webhook_url: str, token: str) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    config = work / "alertmanager.yml"
    config.write_text(CONFIG.format(url=webhook_url, token=token), encoding="utf-8")
    return config


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


async def _ready(base: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            if proc.returncode is not None:
                raise RuntimeError(f"alertmanager exited: {_tail(log)}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/-/ready") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"alertmanager did not become ready: {_tail(log)}")


async def post_alerts(base: str, alerts: list[dict[str, object]]) -> None:
    """Fire (or, with endsAt in the past, resolve) alerts through Alertmanager's API v2."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/v2/alerts", json=alerts) as resp:
            assert resp.status == 200, await resp.text()
