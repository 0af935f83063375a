"""Plain data of the automation seam: jobs, their results, and nodes from the inventory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from teams_bot.automation.template import ArgvTemplate

ArgumentValue = str | Sequence[str]
ProgressCallback = Callable[[str], Awaitable[None]]
JobStatus = Literal["succeeded", "failed", "timed_out", "error"]


@dataclass(frozen=True)
class Job:
    """One run of a configured action: an argv template plus the values for its placeholders.

    `env` is an allow-list of variable names copied from the bot's environment (if set);
    `cwd` None means the bot's current working directory.
    """

    action: str
    argv: tuple[str, ...]
    arguments: Mapping[str, ArgumentValue] = field(default_factory=dict)
    timeout: timedelta = timedelta(minutes=5)
    cwd: Path | None = None
    env: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ArgvTemplate.parse(self.argv)  # raises TemplateError early
        if self.timeout.total_seconds() <= 0:
            raise ValueError("timeout must be longer than zero")

    def render(self) -> list[str]:
        """The concrete argv; raises ArgumentError for a missing or refused value."""
        return ArgvTemplate.parse(self.argv).render(self.arguments)


@dataclass(frozen=True)
class JobResult:
    """What happened: `output_tail` is the merged stdout+stderr tail, cleaned for chat."""

    action: str
    status: JobStatus
    exit_code: int | None
    duration_seconds: float
    output_tail: str
    started_at: datetime
    finished_at: datetime

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class NodeInfo:
    """One failed node as an inventory source reports it; every text field is untrusted."""

    name: str
    cluster: str
    state: str
    since: datetime | None
    last_error: str = ""
    release: str = ""  # the release that broke it, "" when unknown
