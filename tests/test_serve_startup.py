"""`teams-bot serve` binds before anything else: a taken port is one clear line and exit 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "teams_bot.cli"]


def cli_env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))}
    clean["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return clean


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program is listening on."""
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield int(holder.getsockname()[1])


@pytest.mark.parametrize("workers", [1, 2])
def test_taken_port_is_one_clear_line_and_exit_2(
    tmp_path: Path, taken_port: int, workers: int
) -> None:
    result = subprocess.run(
        [*CLI, "serve", "--port", str(taken_port), "--workers", str(workers)],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    problems = [line for line in result.stderr.splitlines() if "cannot listen" in line]
    assert problems == [
        f"teams-bot: cannot listen on 127.0.0.1:{taken_port}: Address already in use"
    ]
    assert "Traceback" not in result.stderr and "listening on" not in result.stderr
    assert not (tmp_path / "data").exists(), "nothing (no database) was started"


def wait_ready(port: int) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the bot did not come up")


def test_listening_is_logged_only_once_the_port_is_bound(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=cli_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        deadline = time.monotonic() + 30
        line = ""
        while "listening on" not in line and time.monotonic() < deadline:
            line = server.stderr.readline()
        assert f"listening on http://127.0.0.1:{port}/api/messages" in line, line
        # The moment it says so, the port is taken: a connection is accepted by the kernel.
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
        wait_ready(port)  # then stop it as a user would, once it has started
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert server.returncode == 0
