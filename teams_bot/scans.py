"""The maintenance clock: every feature's due-time scans (approval expiry, interrupted work), run
on every replica; each scan is safe to run concurrently, so they survive restarts and scale out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from teams_bot.kit import Scan
    from teams_bot.services import Services

log = logging.getLogger(__name__)


async def run_scans(services: Services, scans: Sequence[Scan]) -> None:
    for scan in scans:
        try:
            found = await scan(services)
            if found:
                log.info("%s: %d item(s)", getattr(scan, "__qualname__", "scan"), len(found))
        except Exception:
            log.exception("a maintenance scan failed; trying again later")


async def maintain_forever(services: Services, scans: Sequence[Scan], every_s: float) -> None:
    """Run every scan now and then every `every_s` seconds, until cancelled."""
    while True:
        await run_scans(services, scans)
        await asyncio.sleep(every_s)
