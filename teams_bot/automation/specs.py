"""Typed pieces of the automation config: how to run a local command or ask an HTTP source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


@dataclass(frozen=True)
class ExecSpec:
    """How to run something locally: argv template, time limit, directory, env allow-list."""

    argv: tuple[str, ...]
    timeout: timedelta
    workdir: Path
    env: tuple[str, ...]


@dataclass(frozen=True)
class HttpInventorySpec:
    """An HTTP source (inventory or service status): GET url, optional bearer token."""

    url: str
    timeout: timedelta
    token_env: str | None


@dataclass(frozen=True)
class PipelineActionSpec:
    """An action run by a pipeline runner: which runner, its parameters, the time limit."""

    runner: str
    parameters: tuple[tuple[str, str], ...]
    timeout: timedelta


ActionSpec = ExecSpec | PipelineActionSpec
SourceSpec = ExecSpec | HttpInventorySpec
