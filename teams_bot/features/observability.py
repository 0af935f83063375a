"""GET /metrics (Prometheus text format) and the outbox gauges it reports."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import func, select

from teams_bot.hosts import is_loopback
from teams_bot.kit import Feature, Route
from teams_bot.metrics import OUTBOX_OLDEST_PENDING, OUTBOX_ROWS, exposition
from teams_bot.outbox import OutboxStore
from teams_bot.outbox.tables import outbox

if TYPE_CHECKING:
    from teams_bot.services import Services


async def metrics(services: Services, request: web.Request) -> web.StreamResponse:
    token = services.settings.metrics_token
    if token is not None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            return web.json_response({"error": "unauthorized"}, status=401)
    elif not is_loopback(request.remote or ""):
        return web.json_response(
            {"error": "set TEAMS_BOT_METRICS_TOKEN to scrape /metrics from another host"},
            status=403,
        )
    body, content_type = exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def outbox_gauges(services: Services) -> Sequence[object]:
    """Outbox depth by state and the age of the oldest pending delivery, each maintenance tick."""
    for state, count in (await OutboxStore(services.db).counts()).items():
        OUTBOX_ROWS.labels(state).set(count)
    query = select(func.min(outbox.c.enqueued_at)).where(outbox.c.state == "pending")
    async with services.db.engine.connect() as conn:
        oldest = (await conn.execute(query)).scalar()
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    OUTBOX_OLDEST_PENDING.set(age)
    return []


feature = Feature(
    name="observability",
    routes=[Route("GET", "/metrics", metrics)],
    scans=[outbox_gauges],
)
