"""Telling a database outage from other failures, so people hear "try again", not an apology."""

from __future__ import annotations

import aiohttp
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

STORAGE_UNAVAILABLE = (
    "My storage is unavailable right now, so I could not do or record that. "
    "Please try again in a minute."
)


def is_storage_outage(exc: BaseException) -> bool:
    """The database could not be reached or answered with a connection-level error."""
    if isinstance(exc, aiohttp.ClientError):
        return False  # an HTTP call (inventory, runner, connector), not the database
    return isinstance(exc, DBAPIError | PoolTimeoutError | ConnectionError | OSError)
