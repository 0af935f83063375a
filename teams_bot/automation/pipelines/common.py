"""The run loop every HTTP pipeline runner shares: start, poll, time out, cancel, report.

A runner says how to start a remote run, how to read its state and how to cancel it; this
module does the rest the same way for all of them: progress lines when the state or step
changes, the job's timeout over the whole run (then the remote run is cancelled where the
API allows it and the result is `timed_out`), and a JobResult with the link to the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import aiohttp

from teams_bot.automation.models import Job, JobResult, JobStatus, ProgressCallback
from teams_bot.automation.output import PROGRESS_LINE_CHARS, clean_line
from teams_bot.automation.pipelines.http import Api, RemoteError
from teams_bot.automation.pipelines.secrets import Secret, mask
from teams_bot.commands.durations import format_duration

log = logging.getLogger(__name__)

State = Literal["queued", "running", "done"]
TAIL_LINES = 40
CANCEL_SECONDS = 15.0


@dataclass
class RemoteRun:
    """What we know about a started run; runners fill in the fields as they learn them."""

    id: str = ""
    url: str | None = None  # the page people open
    api_url: str = ""  # where its state is read
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Poll:
    """One reading of a remote run; `status` is set when `state` is "done"."""

    state: State
    status: JobStatus | None = None
    step: str = ""  # the step running now, when the API says
    detail: str = ""  # why it waits, or the remote's own final words


@dataclass(frozen=True)
class Timing:
    poll_interval: float = 5.0
    cancel_timeout: float = CANCEL_SECONDS
    attempts: int = 4
    max_retry_after: float = 30.0
    backoff: float = 0.5


class PipelineRunner(ABC):
    """Base of the HTTP runners; implements the Runner protocol."""

    service = "the pipeline service"

    def __init__(self, name: str, timing: Timing | None = None) -> None:
        self.name = name
        self.timing = timing or Timing()

    @property
    def pause(self) -> float:
        """Seconds between two readings of the run's state."""
        return self.timing.poll_interval

    @property
    @abstractmethod
    def secrets(self) -> Sequence[Secret | None]:
        """Credentials used by this runner (masked out of every message)."""

    @abstractmethod
    async def start(self, api: Api, action: str, parameters: Mapping[str, str]) -> RemoteRun:
        """Ask for a run; return as soon as it can be found again."""

    @abstractmethod
    async def poll(self, api: Api, run: RemoteRun) -> Poll:
        """Read the run's state (may fill in run.url / run.id as they become known)."""

    async def cancel(self, api: Api, run: RemoteRun) -> bool:
        """Ask the service to stop the run; False when the API cannot."""
        return False

    async def run(self, job: Job, progress: ProgressCallback | None = None) -> JobResult:
        parameters = job.render_parameters()  # ArgumentError before anything is sent
        started_at, clock = datetime.now(UTC), time.monotonic()
        report = _Report(progress, lambda: self.secrets)
        remote: RemoteRun | None = None
        # One session per run; cookies from IP-address hosts too (Jenkins' crumb session).
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            api = self._api(session)
            try:
                async with asyncio.timeout(job.timeout.total_seconds()):
                    remote = await self.start(api, job.action, parameters)
                    status = await self._follow(api, remote, report)
            except TimeoutError:
                status = "timed_out"
                await report.line(f"no result within {format_duration(job.timeout)}")
                await self._cancel(api, remote, report)
            except RemoteError as exc:
                status = "error"
                await report.line(str(exc))
            except Exception:
                log.exception("%s runner %s failed unexpectedly", self.service, self.name)
                status = "error"
                await report.line(f"unexpected error talking to {self.service} (see the bot's log)")
        url = remote.url if remote else None
        return JobResult(
            action=job.action,
            status=status,
            exit_code=None,
            duration_seconds=round(time.monotonic() - clock, 3),
            output_tail=report.tail(url),
            started_at=started_at,
            finished_at=datetime.now(UTC),
            url=url,
        )

    def _api(self, session: aiohttp.ClientSession) -> Api:
        timing = self.timing
        return Api(
            session,
            self.service,
            [s for s in self.secrets if s is not None],
            attempts=timing.attempts,
            max_retry_after=timing.max_retry_after,
            backoff=timing.backoff,
        )

    async def _follow(self, api: Api, remote: RemoteRun, report: _Report) -> JobStatus:
        await report.line(
            f"{self.service} run requested" + (f": {remote.url}" if remote.url else "")
        )
        while True:
            reading = await self.poll(api, remote)
            await report.line(_describe(reading))
            if reading.state == "done":
                if reading.detail:
                    await report.line(reading.detail)
                return reading.status or "failed"
            await asyncio.sleep(self.pause)

    async def _cancel(self, api: Api, remote: RemoteRun | None, report: _Report) -> None:
        if remote is None:
            return
        try:
            async with asyncio.timeout(self.timing.cancel_timeout):
                asked = await self.cancel(api, remote)
        except (RemoteError, TimeoutError) as exc:
            await report.line(f"could not cancel the remote run: {str(exc) or 'no answer'}")
            return
        if asked:
            await report.line("cancel requested for the remote run")


def _describe(reading: Poll) -> str:
    if reading.state == "done":
        return (reading.status or "failed").replace("_", " ")
    text: str = reading.state
    if reading.step:
        text += f": {reading.step}"
    elif reading.detail:
        text += f" ({reading.detail})"
    return text


class _Report:
    """Progress lines: forwarded when they change, kept as the result's output tail."""

    def __init__(
        self, progress: ProgressCallback | None, secrets: Callable[[], Sequence[Secret | None]]
    ) -> None:
        self.progress = progress
        self.secrets = secrets  # asked each time: a runner may mint tokens as it goes
        self.lines: deque[str] = deque(maxlen=TAIL_LINES)

    async def line(self, raw: str) -> None:
        text = clean_line(mask(raw, self.secrets()))[:PROGRESS_LINE_CHARS]
        if not text or (self.lines and self.lines[-1] == text):
            return
        self.lines.append(text)
        if self.progress is None:
            return
        try:
            await self.progress(text)
        except Exception:
            log.warning("progress callback failed", exc_info=True)

    def tail(self, url: str | None) -> str:
        lines = list(self.lines)
        if url and not any(url in line for line in lines):
            lines.append(url)
        return "\n".join(lines)
