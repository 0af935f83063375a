"""A delivery worker process for the kill-mid-burst test and the benchmark.

python -m tests.alertmanager.outbox_worker --db URL [--schema S] --connector URL
    [--lease SECONDS] [--share F]; stops cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

import aiohttp

from teams_bot.outbox import DeliveryWorker, OutboxStore, Pacer, WorkerConfig
from teams_bot.storage.db import Database
from tests.alertmanager.connector import http_send


async def run(args: argparse.Namespace) -> None:
    db = await Database.connect(args.db, schema=args.schema or None)
    config = WorkerConfig(
        lease=timedelta(seconds=args.lease), poll_seconds=0.05, max_in_flight=args.in_flight
    )
    try:
        async with aiohttp.ClientSession() as session:
            worker = DeliveryWorker(
                OutboxStore(db),
                http_send(session, args.connector),
                pacer=Pacer(share=args.share),
                config=config,
            )
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, worker.stop)
            print("ready", flush=True)
            await worker.run()
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--schema", default="")
    parser.add_argument("--connector", required=True)
    parser.add_argument("--lease", type=float, default=60.0)
    parser.add_argument("--share", type=float, default=1.0)
    parser.add_argument("--in-flight", type=int, default=16)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
