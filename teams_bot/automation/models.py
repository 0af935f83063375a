"""Plain data of the automation seam: jobs, their results, and nodes from the inventory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from teams_bot.automation.template import ArgvTemplate, ParameterTemplate

ArgumentValue = str | Sequence[str]
ProgressCallback = Callable[[str], Awaitable[None]]
JobStatus = Literal["succeeded", "failed", "cancelled", "timed_out", "error"]


@dataclass(frozen=True)
class Job:
    """One run of a configured action: a template plus the values for its placeholders.

    A local job has an argv template; `env` is an allow-list of variable names copied from
    the bot's environment (if set) and `cwd` None means the bot's current working directory.
    A pipeline job (HTTP runners, `remote`) has `parameters` instead: remote parameter name ->
    literal or whole "{name}" placeholder, sent as JSON string values, never through a shell.
    """

    action: str
    argv: tuple[str, ...] = ()
    arguments: Mapping[str, ArgumentValue] = field(default_factory=dict)
    timeout: timedelta = timedelta(minutes=5)
    cwd: Path | None = None
    env: tuple[str, ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()
    remote: bool = False

    def __post_init__(self) -> None:
        if self.argv or not (self.parameters or self.remote):
            ArgvTemplate.parse(self.argv)  # raises TemplateError early
        ParameterTemplate.parse(dict(self.parameters))
        if self.timeout.total_seconds() <= 0:
            raise ValueError("timeout must be longer than zero")

    def render(self) -> list[str]:
        """The concrete argv; raises ArgumentError for a missing or refused value."""
        return ArgvTemplate.parse(self.argv).render(self.arguments)

    def render_parameters(self) -> dict[str, str]:
        """The remote parameters; raises ArgumentError for a missing or refused value."""
        return ParameterTemplate.parse(dict(self.parameters)).render(self.arguments)


@dataclass(frozen=True)
class JobResult:
    """What happened: `output_tail` is the merged stdout+stderr tail, cleaned for chat.

    `url` links to the remote run (pipeline runners), None for local jobs.
    """

    action: str
    status: JobStatus
    exit_code: int | None
    duration_seconds: float
    output_tail: str
    started_at: datetime
    finished_at: datetime
    url: str | None = None

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
