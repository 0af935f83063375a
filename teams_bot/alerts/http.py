"""`POST /api/alerts/{source}`: authenticate, parse, and commit before answering.

404 unknown source, 413 body over 1 MB, 401 no or wrong credentials (one warning line, no
secret), 400 invalid payload naming the field, 200 once the notification is in the database
(`{"status": "accepted" | "duplicate", "group": id, "deliveries": n}`). A retried delivery of the
same notification answers "duplicate" and makes no second card.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from aiohttp import web

from teams_bot.alerts.auth import authorised
from teams_bot.alerts.config import AlertSource
from teams_bot.alerts.models import Notification
from teams_bot.alerts.parse import PayloadError, parse_alertmanager, parse_generic, parse_json
from teams_bot.alerts.store import AlertStore, Ingested

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
ROUTE = "/api/alerts/{source}"
Handler = Callable[[web.Request], Awaitable[web.Response]]


def parse_notification(source: AlertSource, body: bytes) -> Notification:
    """The body as the source's kind says; raises PayloadError."""
    data = parse_json(body)
    if source.kind == "alertmanager":
        return parse_alertmanager(source.name, data)
    return parse_generic(source.name, data)


async def ingest_body(
    store: AlertStore, source: AlertSource, body: bytes, now: datetime | None = None
) -> Ingested:
    """Parse and store a notification (the HTTP route and `teams-bot send-alert` share this)."""
    notification = parse_notification(source, body)
    return await store.ingest(notification, now or datetime.now(UTC))


def alerts_handler(
    sources: Mapping[str, AlertSource],
    store: AlertStore,
    *,
    on_accepted: Callable[[Ingested], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> Handler:
    """The aiohttp handler for ROUTE. `on_accepted` runs after the commit (e.g. to wake the
    delivery worker of this replica)."""

    async def handle(request: web.Request) -> web.Response:
        source = sources.get(request.match_info.get("source", ""))
        if source is None:
            return _error(404, "unknown alert source")
        body = await _body(request)
        if body is None:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        if not authorised(source, request.headers, body, clock()):
            log.warning(
                "alerts: refused a notification for source %s from %s: bad credentials",
                source.name,
                request.remote,
            )
            return _error(401, "missing or wrong credentials")
        try:
            result = await ingest_body(store, source, body)
        except PayloadError as exc:
            return _error(400, f"invalid payload: {exc}", field=exc.field)
        if on_accepted is not None and not result.duplicate:
            on_accepted(result)
        return web.json_response(
            {
                "status": "duplicate" if result.duplicate else "accepted",
                "group": result.group.id if result.group else None,
                "deliveries": result.deliveries,
            }
        )

    return handle


async def _body(request: web.Request) -> bytes | None:
    """The body, or None when it is over MAX_BODY (checked before reading all of it)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str, field: str | None = None) -> web.Response:
    payload: dict[str, object] = {"error": message}
    if field is not None:
        payload["field"] = field
    return web.Response(status=status, text=json.dumps(payload), content_type="application/json")
