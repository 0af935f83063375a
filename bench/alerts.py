"""Benchmark: fan out alerts to subscribed channels within Teams' limits.

N alerts in distinct Alertmanager groups (none coalesce) are posted to the bot's alert route
(bearer token, committed to the outbox), spread over C subscribed channels of one tenant.
Delivery workers (separate processes, `--replicas` of them sharing the database) draw each
card from the stored group state and post it to a local Bot Connector stand-in that enforces
Teams' per-conversation (7/1 s, 8/2 s, 60/30 s, 1,800/h) and per-tenant (50/s) limits with 429
and Retry-After. Prints the wall time, the minimum the limits allow, their ratio, 429s
received, lost and duplicated cards.

    .venv/bin/python -m bench.alerts [--alerts 1000] [--channels 20] [--replicas 1]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from teams_bot.alerts import AlertStore, alerts_handler, load_alerts, parse_filter
from teams_bot.outbox import DeliveryWorker, OutboxStore, Pacer, WorkerConfig
from teams_bot.storage.db import Database, default_sqlite_url
from tests.alertmanager.connector import http_send
from tests.alertmanager.outbox_worker import rendering
from tests.alertmanager.payloads import am_alert, am_payload, body
from tests.alertmanager.webapp import serving

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789abcdef"
CONFIG = {"alerts": {"sources": {"am": {"kind": "alertmanager", "auth": "bearer",
                                        "secret_env": "BENCH_TOKEN"}}}}
TENANT = "tenant-bench"
QUIET = False


def minimum_seconds(per_channel: list[int]) -> float:
    """The earliest the last card can go if every card is ready at 0 (greedy, exact limits)."""
    pacer = Pacer(margin=0.0)
    left = {f"c{i}": n for i, n in enumerate(per_channel) if n}
    now = last = 0.0
    while left:
        # among the channels free soonest, the one with the most left (no channel is starved)
        ready = min(left, key=lambda c: (pacer.earliest(c, TENANT, now), -left[c]))
        now = pacer.earliest(ready, TENANT, now)
        assert pacer.try_acquire(ready, TENANT, now)
        last = now
        left[ready] -= 1
        if not left[ready]:
            del left[ready]
    return last


async def start_worker(url: str, schema: str, connector: str, share: float):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.alertmanager.outbox_worker", "--db", url,
        "--schema", schema, "--connector", connector, "--share", str(share), "--render",
        "--wait-for-go", cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL if QUIET
        else None, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
    return proc


def in_process_worker(
    db: Database, store: AlertStore, session: aiohttp.ClientSession, connector: str
) -> tuple[DeliveryWorker, asyncio.Future[None]]:
    """SQLite: the worker runs in the bot's own process (one writer), as `teams-bot serve` does."""
    send = rendering(store, http_send(session, connector))
    worker = DeliveryWorker(OutboxStore(db), send, config=WorkerConfig(poll_seconds=0.05))
    return worker, asyncio.ensure_future(worker.run())


async def ingest(base: str, alerts: int, channels: int) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    queue = list(range(alerts))

    async def poster(http: aiohttp.ClientSession) -> None:
        while queue:
            i = queue.pop(0)
            payload = am_payload(am_alert(f"node-{i:05d}", team=f"team-{i % channels}"),
                                 group_key=f'{{}}:{{alertname="NodeNotReady", node="{i}"}}')
            async with http.post(f"{base}/api/alerts/am", data=body(payload),
                                 headers=headers) as resp:
                assert resp.status == 200, await resp.text()

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(poster(http) for _ in range(8)))


async def run(args: argparse.Namespace) -> dict[str, float]:
    schema = f"bench_{uuid.uuid4().hex[:12]}" if args.postgres else ""
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or default_sqlite_url(Path(tmp))
        db = await Database.connect(url, schema=schema or None)
        try:
            await db.migrate()
            return await measure(db, url, schema, args)
        finally:
            if schema:
                async with db.engine.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await db.close()


async def measure(
    db: Database, url: str, schema: str, args: argparse.Namespace
) -> dict[str, float]:
    sources = load_alerts(None, CONFIG, {"BENCH_TOKEN": TOKEN}).sources
    store = AlertStore(db, OutboxStore(db), sources)
    for c in range(args.channels):
        await store.subscribe(TENANT, f"c{c}", parse_filter([f"team=team-{c}"]), "oid", "Bench",
                              datetime.now(UTC))
    connector = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.alertmanager.connector", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert connector.stdout is not None
    conn_url = (await asyncio.wait_for(connector.stdout.readline(), 30)).decode().strip()
    try:
        return await deliver(db, store, sources, url, schema, conn_url, args)
    finally:
        connector.terminate()
        await connector.wait()


async def stats(conn_url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{conn_url}/stats") as resp:
        return dict(await resp.json())


async def deliver(db: Database, store: AlertStore, sources: Any, url: str, schema: str,
                  conn_url: str, args: argparse.Namespace) -> dict[str, float]:
    async with serving(alerts_handler(sources, store)) as bot:
        began = time.monotonic()
        await ingest(bot, args.alerts, args.channels)  # all committed before delivery starts
        ingested = time.monotonic() - began
        session = aiohttp.ClientSession()
        workers = [await start_worker(url, schema, conn_url, 1 / args.replicas)
                   for _ in range(args.replicas if args.postgres else 0)]
        start = time.time()  # the workers are up and told to go at once
        local = None if args.postgres else in_process_worker(db, store, session, conn_url)
        for proc in workers:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        for _ in range(int(args.timeout * 4)):
            seen = await stats(conn_url)
            if len(seen["posts"]) >= args.alerts:
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.0)  # anything still arriving would be a duplicate
        seen = await stats(conn_url)
        wall = (seen["last_wall"] or start) - start
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
        if local is not None:
            local[0].stop()
            await local[1]
        await session.close()
    cards = Counter(str(group) for _, _, group in seen["posts"])
    per_channel = [args.alerts // args.channels + (c < args.alerts % args.channels)
                   for c in range(args.channels)]
    least = minimum_seconds(per_channel)
    return {"wall": wall, "minimum": least, "ratio": wall / least if least else 0.0,
            "throttled": seen["throttled"], "lost": args.alerts - len(cards),
            "duplicated": sum(n - 1 for n in cards.values()), "ingest": ingested}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--replicas", type=int, default=1, help="worker processes (PostgreSQL)")
    parser.add_argument("--postgres", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    r = asyncio.run(run(args))
    engine = "PostgreSQL" if args.postgres else "SQLite"
    replicas = f"{args.replicas} worker process(es)" if args.postgres else "worker in process"
    print(f"{engine}, {replicas}: {args.alerts} alerts in distinct groups -> {args.channels} "
          f"channels; ingested through POST /api/alerts in {r['ingest']:.1f} s "
          f"({args.alerts / r['ingest']:.0f}/s), then delivered:")
    print(f"  wall time {r['wall']:.2f} s   minimum the limits allow {r['minimum']:.2f} s   "
          f"ratio {r['ratio']:.3f} (target <= 1.15)")
    print(f"  429s received {r['throttled']}   lost {r['lost']}   duplicated {r['duplicated']}")


if __name__ == "__main__":
    main()
