"""Leases on running work: a job renews its lease while it runs; a lease that runs out means
the process running it is gone (restart, crash), and the maintenance scan reports the work as
interrupted instead of leaving a card that says "running" forever."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=90)
RENEW_EVERY_S = 30.0

Renew = Callable[[datetime], Awaitable[None]]


def lease_from(now: datetime) -> datetime:
    return now + LEASE


@asynccontextmanager
async def kept(renew: Renew) -> AsyncIterator[None]:
    """Renew a lease in the background for as long as the block runs."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                await renew(lease_from(datetime.now(UTC)))
            except Exception:
                log.exception("could not renew a lease; the work may be reported as interrupted")

    task = asyncio.ensure_future(keep())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
