"""Service health for `status`: from a local command or an HTTP endpoint, like the inventory.

Both give JSON `{"environments": [...]}` or a bare list; each entry has `environment`
(required), `version`, `healthy` (true/false/absent = unknown) and `detail`. A command gets
`{service}` in its argv; an HTTP source is asked `GET url?service=NAME`. Failures raise
InventoryError-style StatusError with a message safe for chat.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import aiohttp

from teams_bot.automation.errors import InventoryError
from teams_bot.automation.inventory import MAX_BYTES, SNIPPET, CappedBytes, host_of, last_line
from teams_bot.automation.models import Job
from teams_bot.automation.output import OutputTail, clean_text
from teams_bot.automation.process import minimal_env, run_process
from teams_bot.automation.specs import ExecSpec, HttpInventorySpec, SourceSpec
from teams_bot.commands.durations import format_duration


class StatusError(InventoryError):
    """The status source failed; the message is safe to show in chat."""


@dataclass(frozen=True)
class Health:
    """One environment of a service as its status source reports it (untrusted text)."""

    environment: str
    version: str = ""
    healthy: bool | None = None
    detail: str = ""


@runtime_checkable
class StatusSource(Protocol):
    async def health(self, service: str) -> list[Health]:
        """Health per environment; raises StatusError."""
        ...


def status_source(spec: SourceSpec) -> StatusSource:
    if isinstance(spec, HttpInventorySpec):
        return HttpStatus(spec)
    return ExecStatus(spec)


class ExecStatus:
    """Runs the configured command (the job runner's rules) with `{service}` filled in."""

    def __init__(self, spec: ExecSpec, grace: float = 2.0) -> None:
        self.spec = spec
        self.grace = grace

    async def health(self, service: str) -> list[Health]:
        job = Job("status", self.spec.argv, {"service": service}, self.spec.timeout)
        out, err = CappedBytes(MAX_BYTES), OutputTail(max_lines=10, max_chars=1000)
        try:
            outcome = await run_process(
                job.render(),
                cwd=self.spec.workdir,
                env=minimal_env(self.spec.env),
                time_limit=self.spec.timeout.total_seconds(),
                stdout=out.feed,
                stderr=err.feed,
                grace=self.grace,
            )
        except OSError as exc:
            raise StatusError(
                f"The status command could not start: {exc.strerror or exc}."
            ) from None
        err.close()
        if outcome.timed_out:
            limit = format_duration(self.spec.timeout)
            raise StatusError(f"The status command did not answer within {limit}.")
        if outcome.returncode != 0:
            detail = last_line(err.text()) or "no error output"
            raise StatusError(
                f"The status command failed (exit code {outcome.returncode}): {detail}"
            )
        if out.overflow:
            raise StatusError("The status command printed more than 8 MB; refused.")
        return parse_health(out.data)


class HttpStatus:
    """GETs the URL with `?service=NAME`; bearer token from `token_env`; no redirects."""

    def __init__(self, spec: HttpInventorySpec) -> None:
        self.spec = spec
        self.where = host_of(spec.url)

    async def health(self, service: str) -> list[Health]:
        headers = {"Accept": "application/json"}
        if self.spec.token_env:
            headers["Authorization"] = f"Bearer {os.environ.get(self.spec.token_env, '')}"
        timeout = aiohttp.ClientTimeout(total=self.spec.timeout.total_seconds())
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    self.spec.url,
                    params={"service": service},
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                ) as response,
            ):
                body = await response.content.read(MAX_BYTES + 1)
                status = response.status
        except TimeoutError:
            limit = format_duration(self.spec.timeout)
            raise StatusError(
                f"The status service ({self.where}) did not answer within {limit}."
            ) from None
        except aiohttp.ClientError as exc:
            raise StatusError(
                f"Could not reach the status service ({self.where}): {type(exc).__name__}."
            ) from None
        if status != 200:
            detail = clean_text(body.decode("utf-8", errors="replace"), SNIPPET)
            raise StatusError(f"The status service ({self.where}) answered HTTP {status}: {detail}")
        if len(body) > MAX_BYTES:
            raise StatusError(f"The status service ({self.where}) sent over 8 MB.")
        return parse_health(body)


def parse_health(raw: bytes) -> list[Health]:
    text = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        shown = clean_text(text, SNIPPET) or "(empty)"
        raise StatusError(f"The status answer is not valid JSON: {shown}") from None
    items = data.get("environments") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise StatusError('The status answer must be {"environments": [...]} or a list.')
    return [_health(index, item) for index, item in enumerate(items, start=1)]


def _health(index: int, item: object) -> Health:
    if not isinstance(item, dict):
        raise StatusError(f"Status entry #{index} is not an object.")
    environment = item.get("environment")
    if not isinstance(environment, str) or not environment.strip():
        raise StatusError(f"Status entry #{index}: 'environment' must be a non-empty string.")
    healthy = item.get("healthy")
    if healthy is not None and not isinstance(healthy, bool):
        raise StatusError(f"Status entry #{index}: 'healthy' must be true, false or absent.")
    return Health(
        environment=environment,
        version=str(item.get("version") or ""),
        healthy=healthy,
        detail=str(item.get("detail") or ""),
    )
