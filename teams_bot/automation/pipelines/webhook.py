"""Generic webhook: a signed POST starts the run; a status URL or a signed callback ends it.

The POST body is JSON: {"run_id": <uuid>, "action": ..., "parameters": {...}} plus
"callback_url" in callback mode; headers as in signing.py. The service answers 2xx with JSON
that may hold "status_url" (required when polling), "url" (the page people open) and
"cancel_url"; those must be on the same scheme and host as the webhook URL. A status (from
GET status_url, signed with an empty body, or from a callback) is
{"status": "queued|running|succeeded|failed|cancelled|timed_out", "step", "url", "detail"}.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from teams_bot.automation.models import JobStatus
from teams_bot.automation.pipelines.common import PipelineRunner, Poll, RemoteRun, Timing
from teams_bot.automation.pipelines.http import Api, RemoteError
from teams_bot.automation.pipelines.secrets import Secret
from teams_bot.automation.pipelines.signing import (
    CallbackHub,
    Update,
    parse_update,
    signed_headers,
)

_DONE: dict[str, JobStatus] = {
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
    "timed_out": "timed_out",
}


@dataclass(frozen=True)
class WebhookSpec:
    url: str
    secret: Secret
    completion: Literal["poll", "callback"] = "poll"
    callback_url: str | None = None  # the bot's public callback route, callback mode only


class WebhookRunner(PipelineRunner):
    service = "the webhook service"

    def __init__(
        self,
        name: str,
        spec: WebhookSpec,
        timing: Timing | None = None,
        hub: CallbackHub | None = None,
    ) -> None:
        super().__init__(name, timing)
        self.spec = spec
        self.hub = hub or CallbackHub()
        self.hub.register_runner(name, spec.secret)

    @property
    def secrets(self) -> Sequence[Secret | None]:
        return (self.spec.secret,)

    @property
    def pause(self) -> float:
        return 0.0 if self.spec.completion == "callback" else self.timing.poll_interval

    async def _signed(
        self, api: Api, method: str, url: str, payload: object, ok: Sequence[int]
    ) -> object:
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {"Accept": "application/json", **signed_headers(self.spec.secret, body)}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        reply = await api.call(
            method, url, raw=body, headers=headers, ok=ok, idempotent=method == "GET"
        )
        return reply.json(self.service)

    async def start(self, api: Api, action: str, parameters: Mapping[str, str]) -> RemoteRun:
        run = RemoteRun(id=str(uuid.uuid4()))
        payload: dict[str, object] = {
            "run_id": run.id,
            "action": action,
            "parameters": dict(parameters),
        }
        if self.spec.completion == "callback":
            payload["callback_url"] = self.spec.callback_url
            self.hub.expect(self.name, run.id)
        try:
            answer = await self._signed(api, "POST", self.spec.url, payload, (200, 201, 202))
        except RemoteError:
            self.hub.forget(self.name, run.id)
            raise
        links = answer if isinstance(answer, dict) else {}
        run.url = self._link(links.get("url"), people=True)
        run.extra["cancel_url"] = self._link(links.get("cancel_url")) or ""
        status_url = self._link(links.get("status_url"))
        if self.spec.completion == "poll" and not status_url:
            raise RemoteError("The webhook service answered without a status_url to poll.")
        run.api_url = status_url or ""
        return run

    def _link(self, value: object, people: bool = False) -> str | None:
        """A link from the service: same scheme and host as the webhook (any host for people)."""
        if not isinstance(value, str) or not value:
            return None
        url = urljoin(self.spec.url, value)
        mine, theirs = urlsplit(self.spec.url), urlsplit(url)
        if people and theirs.scheme in ("https", "http"):
            return url
        if (theirs.scheme, theirs.netloc) != (mine.scheme, mine.netloc):
            raise RemoteError("The webhook service pointed to another host; refused.")
        return url

    async def poll(self, api: Api, run: RemoteRun) -> Poll:
        if self.spec.completion == "callback":
            update = await self.hub.next_update(self.name, run.id)
        else:
            data = await self._signed(api, "GET", run.api_url, None, (200,))
            update = parse_update(data, RemoteError)
        run.url = update.url or run.url
        if update.status in _DONE:
            self.hub.forget(self.name, run.id)
            return Poll("done", _DONE[update.status], detail=update.detail)
        if update.status == "queued":
            return Poll("queued", detail=update.detail)
        return Poll("running", step=update.step)

    async def cancel(self, api: Api, run: RemoteRun) -> bool:
        self.hub.forget(self.name, run.id)
        cancel_url = run.extra.get("cancel_url")
        if not cancel_url:
            return False
        await self._signed(api, "POST", cancel_url, {"run_id": run.id}, (200, 202, 204))
        return True


__all__ = ["Update", "WebhookRunner", "WebhookSpec"]
