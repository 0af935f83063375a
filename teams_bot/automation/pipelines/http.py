"""One HTTP call to a pipeline service: JSON or form in, bounded retries, credentials masked.

429 and 5xx answers (and 403 with Retry-After: GitHub's secondary rate limit) are retried
with backoff, honouring Retry-After (capped). A call that
starts a run is not idempotent: it is retried only when the service said it did nothing
(429, 503) or the connection could not be opened, so a run is never started twice by us.
Redirects are not followed, so credentials never travel to another host.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from teams_bot.automation.output import clean_text
from teams_bot.automation.pipelines.secrets import Secret, mask

log = logging.getLogger(__name__)

RETRYABLE = frozenset({429, 500, 502, 503, 504})
NOT_PROCESSED = frozenset({429, 503})  # safe to repeat even a call that starts a run
SNIPPET = 200
MAX_BODY = 4 * 1024 * 1024


class RemoteError(Exception):
    """A pipeline service call failed; the message is safe to show in chat (no credentials)."""


class _Retry(Exception):
    def __init__(self, status: int, retry_after: float | None, message: str) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self, service: str) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            shown = clean_text(self.body.decode("utf-8", errors="replace"), SNIPPET)
            raise RemoteError(
                f"{service} answered with something other than JSON: {shown}"
            ) from None


class Api:
    """Calls one service over a session; every message is masked with the run's secrets."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        service: str,
        secrets: Sequence[Secret] = (),
        *,
        attempts: int = 4,
        max_retry_after: float = 30.0,
        backoff: float = 0.5,
        request_timeout: float = 30.0,
    ) -> None:
        self.session = session
        self.service = service
        self.secrets = tuple(secrets)
        self.attempts = attempts
        self.max_retry_after = max_retry_after
        self.backoff = backoff
        self.timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def call(
        self,
        method: str,
        url: str,
        *,
        json_body: object = None,
        form: Mapping[str, str] | None = None,
        raw: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: Sequence[int] = (200,),
        idempotent: bool = True,
    ) -> Reply:
        """One call, retried as the module says; raises RemoteError for anything but `ok`.

        The body is `json_body` (serialised here), `form` (url-encoded) or `raw` bytes.
        """
        data: bytes | Mapping[str, str] | None = raw
        if json_body is not None:
            data = json.dumps(json_body).encode()
        elif form is not None:
            data = form
        sent = dict(headers or {})
        if json_body is not None:
            sent["Content-Type"] = "application/json"
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda exc: _transient(exc, idempotent)),
            wait=self._wait,
            stop=stop_after_attempt(self.attempts),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, url, data, params, sent, ok, idempotent)
        except _Retry as exc:
            raise RemoteError(str(exc)) from None
        except TimeoutError:
            raise RemoteError(f"{self.service} did not answer {method} {_path(url)}.") from None
        except aiohttp.ClientError as exc:
            raise RemoteError(
                f"Could not reach {self.service} ({_host(url)}): {type(exc).__name__}."
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        url: str,
        data: bytes | Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        sent: Mapping[str, str],
        ok: Sequence[int],
        idempotent: bool,
    ) -> Reply:
        async with self.session.request(
            method,
            url,
            data=data,
            params=params,
            headers=sent,
            timeout=self.timeout,
            allow_redirects=False,
        ) as response:
            body = await response.content.read(MAX_BODY)
            reply = Reply(response.status, response.headers, body)
        if reply.status in ok:
            return reply
        message = self._refusal(method, url, reply)
        retry = RETRYABLE if idempotent else NOT_PROCESSED
        limited = reply.status == 403 and "Retry-After" in reply.headers  # GitHub's 2nd limit
        if reply.status in retry or limited:
            raise _Retry(reply.status, _retry_after(reply.headers.get("Retry-After")), message)
        raise RemoteError(message)

    def _refusal(self, method: str, url: str, reply: Reply) -> str:
        text = mask(reply.body.decode("utf-8", errors="replace"), self.secrets)
        detail = clean_text(_message(text), SNIPPET)
        html = b"<html" in reply.body[:500].lower()
        limited = reply.status == 403 and "Retry-After" in reply.headers
        if (reply.status in (401, 403) and not limited) or (reply.status == 203 and html):
            what = f"{self.service} refused the credentials (HTTP {reply.status})"
        else:
            what = f"{self.service} answered HTTP {reply.status} to {method} {_path(url)}"
        log.warning("%s", what)
        return f"{what}: {detail}" if detail else f"{what}."

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            if exc.retry_after > self.max_retry_after:
                raise RemoteError(
                    f"{exc} ({self.service} asked to wait {exc.retry_after:.0f} s; giving up)"
                )
            log.info("%s: retrying in %.1f s (Retry-After)", self.service, exc.retry_after)
            return exc.retry_after
        return float(wait_exponential_jitter(initial=self.backoff, max=5)(state))


def _transient(exc: BaseException, idempotent: bool) -> bool:
    if isinstance(exc, _Retry):
        return True
    if isinstance(exc, aiohttp.ClientConnectorError):
        return True  # nothing was sent
    return idempotent and isinstance(exc, aiohttp.ClientConnectionError | TimeoutError)


def _retry_after(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _message(text: str) -> str:
    """The `message` of a JSON error body (GitHub, Azure DevOps), else the text itself."""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return text


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _path(url: str) -> str:
    """The path only: never the query string or user:password of a URL."""
    return urlsplit(url).path or "/"
