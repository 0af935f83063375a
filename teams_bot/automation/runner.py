"""The runner interface: anything that can run a Job and report a JobResult.

The local executable runner lives in local.py; HTTP pipeline runners (GitHub Actions,
Azure Pipelines, Jenkins, webhooks) implement the same protocol.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from teams_bot.automation.models import Job, JobResult, ProgressCallback


@runtime_checkable
class Runner(Protocol):
    async def run(self, job: Job, progress: ProgressCallback | None = None) -> JobResult:
        """Run the job to the end; raise ArgumentError only for refused arguments.

        Every other outcome, including a job that cannot start, is a JobResult.
        """
        ...
