"""The maintenance clock: due-time scans of the store (approval expiry, interrupted work), so
they survive restarts and work with several replicas."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger(__name__)

Scan = Callable[[], Awaitable[Sequence[object]]]


async def maintain_forever(scans: Sequence[Scan], every_s: float) -> None:
    """Run every scan now and then every `every_s` seconds, until cancelled."""
    while True:
        for scan in scans:
            try:
                found = await scan()
                if found:
                    log.info("%s: %d item(s)", getattr(scan, "__name__", "scan"), len(found))
            except Exception:
                log.exception("a maintenance scan failed; trying again later")
        await asyncio.sleep(every_s)
