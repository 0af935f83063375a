"""The expiry clock: a due-time scan of the store, so expiry survives restarts and replicas."""

from __future__ import annotations

import asyncio
import logging

from teams_bot.approvals.service import ApprovalService

log = logging.getLogger(__name__)


async def expire_forever(service: ApprovalService, every_s: float) -> None:
    """Expire due approvals now and then every `every_s` seconds, until cancelled."""
    while True:
        try:
            expired = await service.expire_due()
            if expired:
                log.info("expired approvals: %s", ", ".join(a.id for a in expired))
        except Exception:
            log.exception("the approval expiry scan failed; trying again later")
        await asyncio.sleep(every_s)
