"""`teams-bot send-alert` (scripts, cron) and `teams-bot alerts failed` (what was given up on)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from teams_bot.alerts.config import load_alerts
from teams_bot.alerts.http import ingest_body
from teams_bot.alerts.parse import PayloadError
from teams_bot.alerts.store import AlertStore
from teams_bot.automation.errors import ConfigError
from teams_bot.outbox import OutboxStore
from teams_bot.settings import Settings
from teams_bot.storage.db import Database


def add_parsers(sub: Any) -> None:
    send = sub.add_parser("send-alert", help="post an alert (JSON) as a configured source would")
    send.add_argument("--source", required=True, help="a source of [alerts.sources] in the config")
    send.add_argument("--file", help="the notification JSON (default: standard input)")
    alerts = sub.add_parser("alerts", help="alert delivery: `alerts failed` lists given-up cards")
    alerts.add_argument("what", choices=["failed"])
    alerts.add_argument("--last", type=int, default=20)


def send_alert(settings: Settings, args: argparse.Namespace) -> int:
    path = settings.config_file
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path else {}
        sources = load_alerts(path, data).sources
    except (ConfigError, OSError, tomllib.TOMLDecodeError) as exc:
        print(f"teams-bot: configuration error: TEAMS_BOT_CONFIG_FILE: {exc}", file=sys.stderr)
        return 2
    source = sources.get(args.source)
    if source is None:
        known = ", ".join(sorted(sources)) or "none configured"
        print(f"teams-bot: unknown alert source {args.source!r} (known: {known})", file=sys.stderr)
        return 2
    body = Path(args.file).read_bytes() if args.file else sys.stdin.buffer.read()

    async def send() -> int:
        db = await _database(settings, migrate=True)
        try:
            store = AlertStore(db, OutboxStore(db), sources)
            result = await ingest_body(store, source, body, datetime.now(UTC))
        except PayloadError as exc:
            print(f"teams-bot: invalid alert: {exc}", file=sys.stderr)
            return 2
        finally:
            await db.close()
        state = "duplicate (already delivered)" if result.duplicate else "accepted"
        print(f"{state}: {result.deliveries} card(s) queued for delivery")
        return 0

    return asyncio.run(send())


def failed(settings: Settings, args: argparse.Namespace) -> int:
    async def show() -> int:
        db = await _database(settings, migrate=False)
        try:
            rows = await OutboxStore(db).failed(max(1, min(args.last, 500)))
        finally:
            await db.close()
        for row in rows:
            when = row.updated_at.strftime("%Y-%m-%d %H:%M:%S")
            print(f"{when} UTC {row.conversation_id} {row.coalesce_key}: {row.last_error}")
        if not rows:
            print("no failed deliveries", file=sys.stderr)
        return 0

    return asyncio.run(show())


async def _database(settings: Settings, *, migrate: bool) -> Database:
    db = await Database.connect(settings.resolved_database_url(), schema=settings.database_schema)
    if migrate:
        await db.migrate()
    return db
