"""A delivery worker process for the kill-mid-burst test and the benchmark.

python -m tests.alertmanager.outbox_worker --db URL [--schema S] --connector URL
    [--lease SECONDS] [--share F] [--render]; stops cleanly on SIGTERM.
With --render each alert delivery is drawn as the alert card from the stored group state.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import UTC, datetime, timedelta

import aiohttp

from teams_bot.alerts import AlertStore, card_for
from teams_bot.outbox import (
    Delivery,
    DeliveryWorker,
    OutboxStore,
    Pacer,
    Send,
    SendResult,
    WorkerConfig,
)
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
            if args.wait_for_go:  # the benchmark starts every replica at the same moment
                await loop.run_in_executor(None, sys.stdin.readline)
            await worker.run()
    finally:
        await db.close()


def rendering(alerts: AlertStore, send: Send) -> Send:
    """Send the alert card drawn from the group's current state instead of the reference."""

    async def render_and_send(delivery: Delivery) -> SendResult:
        group = await alerts.group(str(delivery.payload["group_id"]))
        if group is None:
            return SendResult(400, error="unknown alert group")
        card = card_for(group, datetime.now(UTC))
        payload = {**delivery.payload, "card": card}
        return await send(Delivery(**{**vars(delivery), "payload": payload}))

    return render_and_send


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--schema", default="")
    parser.add_argument("--connector", required=True)
    parser.add_argument("--lease", type=float, default=60.0)
    parser.add_argument("--share", type=float, default=1.0)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--render", action="store_true")
    parser.add_argument("--wait-for-go", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
