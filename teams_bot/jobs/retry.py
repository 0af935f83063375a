"""Keep a result through a database hiccup: retry the write for a while instead of losing it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
KEEP_TRYING_S = 300.0


async def kept_trying(write: Callable[[], Awaitable[T]], what: str) -> T:
    """Run `write`, retrying database outages for up to five minutes (then raise)."""
    retrying = AsyncRetrying(
        retry=retry_if_exception_type((OperationalError, DBAPIError, OSError)),
        wait=wait_exponential(multiplier=0.2, max=10),
        stop=stop_after_delay(KEEP_TRYING_S),
        reraise=True,
        before_sleep=lambda state: log.warning(
            "could not store %s yet (attempt %d); retrying", what, state.attempt_number
        ),
    )
    async for attempt in retrying:
        with attempt:
            return await write()
    raise AssertionError("unreachable")  # pragma: no cover
