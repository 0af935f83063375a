"""Signed webhooks, both ways: what the bot sends, and callbacks it accepts.

Every request carries `X-Opsbot-Timestamp` (Unix seconds) and `X-Opsbot-Signature`
(`sha256=` + hex HMAC-SHA256 with the shared secret over `<timestamp>.` + the raw body; an
empty body for GET). A callback is accepted only with a valid signature, a timestamp within
five minutes, and a run id the bot is waiting for; anything else is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from teams_bot.automation.pipelines.secrets import Secret

TIMESTAMP = "X-Opsbot-Timestamp"
SIGNATURE = "X-Opsbot-Signature"
TOLERANCE_SECONDS = 300.0
MAX_CALLBACK_BYTES = 64 * 1024
RemoteState = Literal["queued", "running", "succeeded", "failed", "cancelled", "timed_out"]
STATES: frozenset[str] = frozenset(
    ("queued", "running", "succeeded", "failed", "cancelled", "timed_out")
)


class CallbackError(Exception):
    """A callback is refused; `status` is the HTTP answer for it (401, 404, 400, 413)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Update:
    """A run's state as a webhook service reports it (status URL or callback)."""

    run_id: str
    status: RemoteState
    step: str = ""
    url: str | None = None
    detail: str = ""


def signature(secret: Secret, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.reveal().encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(secret: Secret, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP: timestamp, SIGNATURE: signature(secret, timestamp, body)}


def verify_callback(
    secret: Secret,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> Update:
    """The update a signed callback carries; raises CallbackError (never says which check)."""
    if len(body) > MAX_CALLBACK_BYTES:
        raise CallbackError(413, "callback body too large")
    timestamp, given = headers.get(TIMESTAMP, ""), headers.get(SIGNATURE, "")
    if not timestamp.isdigit() or not given:
        raise CallbackError(401, "missing or malformed signature headers")
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        raise CallbackError(401, "stale or future timestamp")
    if not hmac.compare_digest(given, signature(secret, timestamp, body)):
        raise CallbackError(401, "bad signature")
    try:
        data = json.loads(body)
    except ValueError:
        raise CallbackError(400, "callback body is not JSON") from None
    return parse_update(data, CallbackError)


def parse_update(data: object, error: type[Exception]) -> Update:
    """An Update from JSON; `error(400, message)` or `error(message)` for a bad shape."""

    def fail(message: str) -> Exception:
        return error(400, message) if error is CallbackError else error(message)

    if not isinstance(data, dict):
        raise fail("the webhook status must be a JSON object")
    status = data.get("status")
    if status not in STATES:
        raise fail(f"unknown webhook status {str(status)[:40]!r}")
    url = data.get("url")
    return Update(
        run_id=str(data.get("run_id", "")),
        status=cast(RemoteState, status),
        step=str(data.get("step") or ""),
        url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
        detail=str(data.get("detail") or ""),
    )


class CallbackHub:
    """Runs waiting for callbacks in this process, by runner name and run id.

    The HTTP route (POST /api/runners/{name}/callback) calls `deliver`; a 2xx answer means
    the update reached a waiting run.
    """

    def __init__(self) -> None:
        self._secrets: dict[str, Secret] = {}
        self._waiting: dict[tuple[str, str], asyncio.Queue[Update]] = {}

    def register_runner(self, name: str, secret: Secret) -> None:
        self._secrets[name] = secret

    def expect(self, name: str, run_id: str) -> asyncio.Queue[Update]:
        queue: asyncio.Queue[Update] = asyncio.Queue()
        self._waiting[(name, run_id)] = queue
        return queue

    async def next_update(self, name: str, run_id: str) -> Update:
        queue = self._waiting.get((name, run_id)) or self.expect(name, run_id)
        return await queue.get()

    def forget(self, name: str, run_id: str) -> None:
        self._waiting.pop((name, run_id), None)

    def deliver(
        self, name: str, headers: Mapping[str, str], body: bytes, now: float | None = None
    ) -> Update:
        secret = self._secrets.get(name)
        if secret is None:
            raise CallbackError(404, "no such webhook runner")
        update = verify_callback(secret, headers, body, now=now)
        queue = self._waiting.get((name, update.run_id))
        if queue is None:
            raise CallbackError(404, "no run is waiting for this id")
        queue.put_nowait(update)
        return update
