"""Bot Connector REST calls over one pooled aiohttp session, with 429 and 5xx retries.

botbuilder's async ConnectorClient sends through `requests` in a thread pool; every reply pays for
a thread hop and a fresh HTTP pipeline. This sender keeps connections open, honours Retry-After on
429 (Teams throttles per conversation), retries transient failures with backoff, and raises a
ConnectorError with the status when a call finally fails, so nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from teams_bot.metrics import CONNECTOR_CALLS

log = logging.getLogger(__name__)

BearerSource = Callable[[], Awaitable[str | None]]
_RETRYABLE = {429, 500, 502, 503, 504}
_MAX_RETRY_AFTER_S = 30.0


class ConnectorError(Exception):
    """The Bot Connector refused or failed a call."""

    def __init__(self, status: int, method: str, path: str, body: str, retry_after: float = 0):
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{method} {path} answered {status}: {body[:200]}")


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, ConnectorError):
        return exc.status in _RETRYABLE
    return isinstance(exc, aiohttp.ClientConnectionError | TimeoutError)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, ConnectorError) and exc.retry_after:
        return min(exc.retry_after, _MAX_RETRY_AFTER_S)
    return float(wait_exponential_jitter(initial=0.2, max=5)(state))


class ConnectorSender:
    """Sends, updates and deletes activities in a conversation."""

    def __init__(self, session: aiohttp.ClientSession, attempts: int = 5) -> None:
        self._session = session
        self._attempts = attempts

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._session

    async def send(
        self,
        service_url: str,
        conversation_id: str,
        activity: dict[str, Any],
        bearer: BearerSource,
        reply_to_id: str | None = None,
    ) -> str:
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities"
        if reply_to_id:
            path += f"/{quote(reply_to_id, safe='')}"
        result = await self._call("POST", service_url, path, activity, bearer)
        return str(result.get("id", ""))

    async def update(
        self,
        service_url: str,
        conversation_id: str,
        activity_id: str,
        activity: dict[str, Any],
        bearer: BearerSource,
    ) -> str:
        path = (
            f"v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(activity_id, safe='')}"
        )
        result = await self._call("PUT", service_url, path, activity, bearer)
        return str(result.get("id", activity_id))

    async def delete(
        self, service_url: str, conversation_id: str, activity_id: str, bearer: BearerSource
    ) -> None:
        path = (
            f"v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(activity_id, safe='')}"
        )
        await self._call("DELETE", service_url, path, None, bearer)

    async def create_conversation(
        self, service_url: str, parameters: dict[str, Any], bearer: BearerSource
    ) -> dict[str, Any]:
        return await self._call("POST", service_url, "v3/conversations", parameters, bearer)

    async def _call(
        self,
        method: str,
        service_url: str,
        path: str,
        body: dict[str, Any] | None,
        bearer: BearerSource,
    ) -> dict[str, Any]:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=_wait,
            stop=stop_after_attempt(self._attempts) | stop_after_delay(60),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, service_url, path, body, bearer)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        service_url: str,
        path: str,
        body: dict[str, Any] | None,
        bearer: BearerSource,
    ) -> dict[str, Any]:
        url = service_url.rstrip("/") + "/" + path
        headers = {"Content-Type": "application/json; charset=utf-8"}
        token = await bearer()
        if token:
            headers["Authorization"] = token
        data = json.dumps(body, separators=(",", ":")) if body is not None else None
        async with self._session.request(method, url, data=data, headers=headers) as resp:
            CONNECTOR_CALLS.labels(method, str(resp.status)).inc()
            text = await resp.text()
            if resp.status >= 400:
                retry_after = _retry_after(resp.headers.get("Retry-After"))
                raise ConnectorError(resp.status, method, path, text, retry_after)
            return _json_object(text)


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 1.0


def _json_object(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
