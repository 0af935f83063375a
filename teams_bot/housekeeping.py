"""Housekeeping as a maintenance scan: old cards, buttons, decided approvals and de-duplication
keys are pruned (never the audit log), at most once an hour per replica."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from teams_bot import retention
from teams_bot.outbox import OutboxStore

if TYPE_CHECKING:
    from teams_bot.services import Services

EVERY_S = 3600.0
OUTBOX_KEPT = timedelta(days=7)  # delivered rows (each message's newest row stays)
_last_run: dict[int, float] = {}


async def prune_old_records(services: Services) -> Sequence[object]:
    key = id(services)
    now = time.monotonic()
    if now - _last_run.get(key, float("-inf")) < EVERY_S:
        return []
    _last_run[key] = now
    max_age = timedelta(days=services.settings.retention_days)
    today = datetime.now(UTC)
    pruned = await retention.prune(services.db, today, max_age)
    sent = await OutboxStore(services.db).prune(today - OUTBOX_KEPT)
    return [pruned] if any(vars(pruned).values()) or sent else []
