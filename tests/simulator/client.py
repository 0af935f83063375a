"""Deliver an activity to a bot endpoint the way the channel does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class PostResult:
    """The bot's answer, read fully so the connection can be released."""

    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        """Parsed body (None when the bot answered with no body)."""
        return json.loads(self.text) if self.text else None


async def post_activity(
    session: aiohttp.ClientSession,
    bot_url: str,
    activity: dict[str, Any],
    authorization: str | None,
) -> PostResult:
    """POST activity as JSON with the channel's Authorization header (omitted when None)."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if authorization is not None:
        headers["Authorization"] = authorization
    async with session.post(bot_url, data=json.dumps(activity), headers=headers) as response:
        return PostResult(response.status, await response.text(), dict(response.headers))
