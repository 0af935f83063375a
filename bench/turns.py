"""Benchmark: authenticated turns per second and latency, stock echo bot vs ours.

Both bots validate a signed channel token on every activity and send their reply to the local
Bot Connector with a bearer token from the local AAD endpoint (tests/simulator, own process).
Ours answers `whoami` with the audit write on. Prints activities/s, p50, p99 and the ratios.

    .venv/bin/python -m bench.turns [--requests 500] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.simulator import ALICE, TeamsActivities

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    name: str
    latencies_ms: list[float]
    throughput: float

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _process(argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.post(
                    url, data="{}", headers={"Content-Type": "application/json"}
                ):
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def _mint(control: str, n: int) -> list[str]:
    async with aiohttp.ClientSession() as session:
        tokens = []
        for _ in range(n):
            async with session.post(control + "/mint", json={"kind": "valid"}) as resp:
                tokens.append((await resp.json())["authorization"])
        return tokens


async def _load(
    url: str, teams: TeamsActivities, text: str, tokens: list[str], total: int, concurrency: int
) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue = iter(range(total))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for i in queue:
                body = json.dumps(teams.personal_message(text, user=ALICE))
                headers = {
                    "Content-Type": "application/json",
                    "Authorization": tokens[i % len(tokens)],
                }
                start = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status not in (200, 201):
                        raise RuntimeError(f"bot answered {resp.status}")
                latencies.append((time.perf_counter() - start) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, total / elapsed


async def _measure(
    name: str, url: str, sim: dict[str, str], text: str, args: argparse.Namespace
) -> Run:
    await _wait_ready(url)
    teams = TeamsActivities(
        sim["MicrosoftAppId"], sim["MicrosoftAppTenantId"], sim["SIM_SERVICE_URL"]
    )
    tokens = await _mint(sim["SIM_CONTROL_URL"], 50)
    await _load(url, teams, text, tokens, 50, 1)  # warm-up: metadata, outbound token, pools
    latencies, _ = await _load(url, teams, text, tokens, args.requests, 1)
    _, throughput = await _load(url, teams, text, tokens, args.requests, args.concurrency)
    return Run(name, latencies, throughput)


def _start_simulator(env: dict[str, str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.simulator"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def _audit_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("SELECT count(*) FROM audit_log WHERE command = 'whoami'").fetchone()[0]
        )


async def _connector_calls(control: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(control + "/stats") as resp:
        return int((await resp.json())["calls"])


async def main_async(args: argparse.Namespace) -> None:
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))
    }
    sim_proc, sim = _start_simulator(base_env)
    try:
        bot_env = {**base_env, **{k: v for k, v in sim.items() if not k.startswith("SIM_")}}
        stock_port = _port()
        with _process([sys.executable, "-m", "bench.stock_echo_bot", str(stock_port)], bot_env):
            stock = await _measure(
                "stock echo bot", f"http://127.0.0.1:{stock_port}/api/messages", sim, "hello", args
            )
        ours = [await _ours(bot_env, sim, args, workers) for workers in args.workers]
    finally:
        sim_proc.terminate()
        sim_proc.wait(timeout=10)
    _report(stock, ours, args)


async def _ours(
    bot_env: dict[str, str], sim: dict[str, str], args: argparse.Namespace, workers: int
) -> tuple[Run, int, int]:
    """Our bot with `workers` processes: the run, commands audited, replies delivered."""
    calls_before = await _connector_calls(sim["SIM_CONTROL_URL"])
    with tempfile.TemporaryDirectory() as data:
        port = _port()
        env = {
            **bot_env,
            "TEAMS_BOT_DATA_DIR": data,
            "TEAMS_BOT_LOG_LEVEL": "WARNING",
            "TEAMS_BOT_ALLOWED_TENANTS": sim["MicrosoftAppTenantId"],
            "TEAMS_BOT_ACTION_SECRET": "bench-action-secret-0123456789",
        }
        argv = [
            sys.executable,
            "-m",
            "teams_bot.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        name = f"ours, {workers} worker(s)"
        with _process(argv, env):
            run = await _measure(name, f"http://127.0.0.1:{port}/api/messages", sim, "whoami", args)
        audited = _audit_count(Path(data) / "teams-bot.db")
    replies = await _connector_calls(sim["SIM_CONTROL_URL"]) - calls_before
    return run, audited, replies


def _report(stock: Run, ours: list[tuple[Run, int, int]], args: argparse.Namespace) -> None:
    header = f"act/s (c={args.concurrency})"
    print(f"{'bot':<26}{header:>16}{'p50 ms (c=1)':>14}{'p99 ms (c=1)':>14}")
    for run in [stock, *(o[0] for o in ours)]:
        print(f"{run.name:<26}{run.throughput:>16.0f}{run.pct(0.5):>14.2f}{run.pct(0.99):>14.2f}")
    expected = 2 * args.requests + 50
    for run, audited, replies in ours:
        print(
            f"{run.name}: throughput x{run.throughput / stock.throughput:.1f} of stock, "
            f"p50 x{stock.pct(0.5) / run.pct(0.5):.1f} faster, "
            f"p99 x{stock.pct(0.99) / run.pct(0.99):.1f} faster; "
            f"{audited} commands audited and {replies} replies delivered (expected {expected})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--workers",
        type=lambda t: [int(w) for w in t.split(",")],
        default=[1, 2],
        help="worker counts to measure ours with, e.g. 1,2",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
