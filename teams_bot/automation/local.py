"""LocalExecutableRunner: runs a job's argv on this host, never through a shell."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from teams_bot.automation.models import Job, JobResult, JobStatus, ProgressCallback
from teams_bot.automation.output import OutputTail, ProgressPump
from teams_bot.automation.process import ProcessExit, minimal_env, run_process

log = logging.getLogger(__name__)


class LocalExecutableRunner:
    """Runs jobs as local processes (see process.py for the safety rules).

    The job's environment is PATH, LANG and the job's allow-listed names only, so the bot's
    own secrets (MicrosoftAppPassword, database URL, ...) never reach a script.
    """

    def __init__(
        self,
        *,
        grace: float = 2.0,
        progress_interval: float = 1.0,
        tail_lines: int = 40,
        tail_chars: int = 4096,
    ) -> None:
        self.grace = grace
        self.progress_interval = progress_interval
        self.tail_lines = tail_lines
        self.tail_chars = tail_chars

    async def run(self, job: Job, progress: ProgressCallback | None = None) -> JobResult:
        argv = job.render()  # ArgumentError before anything starts
        started_at, clock = datetime.now(UTC), time.monotonic()
        tail = OutputTail(self.tail_lines, self.tail_chars)
        pump = ProgressPump(progress, self.progress_interval) if progress else None

        def on_output(chunk: bytes) -> None:
            for line in tail.feed(chunk):
                if pump is not None:
                    pump.offer(line)

        if pump is not None:
            pump.start()
        try:
            outcome = await run_process(
                argv,
                cwd=job.cwd,
                env=minimal_env(job.env),
                time_limit=job.timeout.total_seconds(),
                stdout=on_output,
                grace=self.grace,
            )
        except OSError as exc:
            log.warning("job %s could not start: %s", job.action, exc)
            outcome = None
            tail.feed(f"Could not start {argv[0]!r}: {exc.strerror or exc}\n".encode())
        finally:
            if pump is not None:
                await pump.stop()
        tail.close()
        return JobResult(
            action=job.action,
            status=_status(outcome),
            exit_code=outcome.returncode if outcome else None,
            duration_seconds=round(time.monotonic() - clock, 3),
            output_tail=tail.text(),
            started_at=started_at,
            finished_at=datetime.now(UTC),
        )


def _status(outcome: ProcessExit | None) -> JobStatus:
    if outcome is None:
        return "error"
    if outcome.timed_out:
        return "timed_out"
    return "succeeded" if outcome.returncode == 0 else "failed"
