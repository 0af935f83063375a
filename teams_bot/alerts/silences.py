"""Alertmanager API v2: create a silence for exactly one alert's labels, delete it, list them.

Every matcher is an exact match (`isEqual: true`, `isRegex: false`), so a silence never covers
more than the alert it was made for (plus alerts with the very same labels and more).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp

_TIMEOUT = aiohttp.ClientTimeout(total=10)


class SilenceError(Exception):
    """Alertmanager refused or could not be reached; the message is safe to show."""


@dataclass(frozen=True)
class Silence:
    id: str
    state: str  # active | pending | expired
    matchers: dict[str, str]  # exact matchers only (others are shown as name=~value)
    starts_at: str
    ends_at: str
    created_by: str
    comment: str


def matchers_for(labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"name": name, "value": value, "isRegex": False, "isEqual": True}
        for name, value in sorted(labels.items())
    ]


class AlertmanagerClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/") + "/api/v2"

    async def create_silence(
        self,
        labels: Mapping[str, str],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str:
        """A new silence; its id."""
        if not labels:
            raise SilenceError("an alert without labels cannot be silenced")
        body = {
            "matchers": matchers_for(labels),
            "startsAt": starts_at.isoformat(),
            "endsAt": ends_at.isoformat(),
            "createdBy": created_by,
            "comment": comment,
        }
        data = await self._call("POST", "/silences", body)
        silence_id = data.get("silenceID") if isinstance(data, dict) else None
        if not isinstance(silence_id, str) or not silence_id:
            raise SilenceError("Alertmanager answered without a silence id")
        return silence_id

    async def delete_silence(self, silence_id: str) -> None:
        """Expire the silence (Alertmanager keeps it listed as expired)."""
        await self._call("DELETE", f"/silence/{quote(silence_id, safe='')}", None)

    async def silences(self) -> list[Silence]:
        data = await self._call("GET", "/silences", None)
        return [_silence(item) for item in data] if isinstance(data, list) else []

    async def _call(self, method: str, path: str, body: object) -> Any:
        try:
            async with self._session.request(
                method, self._base + path, json=body, timeout=_TIMEOUT
            ) as resp:
                text = await resp.text()
                if resp.status >= 400:
                    raise SilenceError(f"Alertmanager answered {resp.status}: {text[:200]}")
                return await resp.json(content_type=None) if text else None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SilenceError(f"Alertmanager could not be reached: {type(exc).__name__}") from exc


def _silence(item: Mapping[str, Any]) -> Silence:
    matchers: dict[str, str] = {}
    for m in item.get("matchers", []):
        exact = not m.get("isRegex") and m.get("isEqual", True)
        matchers[m["name"] if exact else f"{m['name']}~"] = m["value"]
    return Silence(
        id=str(item.get("id", "")),
        state=str(item.get("status", {}).get("state", "")),
        matchers=matchers,
        starts_at=str(item.get("startsAt", "")),
        ends_at=str(item.get("endsAt", "")),
        created_by=str(item.get("createdBy", "")),
        comment=str(item.get("comment", "")),
    )
