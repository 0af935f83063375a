"""The automation config file (TOML, TEAMS_BOT_CONFIG_FILE): inventory, actions, runners, services.

See infra/config.example.toml for the format. Paths: `workdir` values are relative to the
config file's directory; without one, jobs run in the directory the bot was started in
(fixed at load time). A relative executable (`./bin/x`, `scripts/x.sh`) or script argument
is relative to the job's working directory; a bare name (`python3`) is looked up on PATH.
Every problem raises ConfigError naming the file and the key; top-level tables this module
does not know are left to their owners. An action runs locally (`argv`) or on a pipeline
runner (`runner = "NAME"` from `[runners.NAME]`, with `parameters`); `[services.NAME]` are
what the release commands deploy (release.py).
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from teams_bot.automation.errors import ConfigError, NotConfiguredError, TemplateError
from teams_bot.automation.inventory import ExecInventory, HttpInventory, InventorySource
from teams_bot.automation.local import LocalExecutableRunner
from teams_bot.automation.models import ArgumentValue, Job
from teams_bot.automation.pipelines import CallbackHub, PipelineRunner
from teams_bot.automation.release import ServiceCatalog, ServiceSpec
from teams_bot.automation.runner import Runner
from teams_bot.automation.runners_config import RunnerParser
from teams_bot.automation.services_config import ServiceParser
from teams_bot.automation.specs import (
    ActionSpec,
    ExecSpec,
    HttpInventorySpec,
    PipelineActionSpec,
    SourceSpec,
)
from teams_bot.automation.status import StatusSource, status_source
from teams_bot.automation.template import ArgvTemplate, ParameterTemplate, Placeholder
from teams_bot.commands.durations import DurationError, parse_duration
from teams_bot.hosts import is_loopback

__all__ = [
    "AutomationConfig",
    "ExecSpec",
    "HttpInventorySpec",
    "PipelineActionSpec",
    "load_automation",
]

_OWN_TABLES = ("automation", "inventory", "actions", "runners", "services")
_ACTION_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_ENV = re.compile(r"(?i)(MicrosoftApp|TEAMS_BOT_)")
_NOT_CONFIGURED = "add it to the automation config file (TEAMS_BOT_CONFIG_FILE)"
MAX_ACTION_TIMEOUT = timedelta(days=1)
MAX_INVENTORY_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class AutomationConfig:
    """What the automation features may do; an empty config means "not configured"."""

    path: Path | None = None
    actions: Mapping[str, ActionSpec] = field(default_factory=dict)
    inventory_spec: SourceSpec | None = None
    runners: Mapping[str, PipelineRunner] = field(default_factory=dict, repr=False)
    services: ServiceCatalog = field(default_factory=ServiceCatalog)
    callbacks: CallbackHub = field(default_factory=CallbackHub, repr=False, compare=False)
    _runner: LocalExecutableRunner = field(
        default_factory=LocalExecutableRunner, repr=False, compare=False
    )

    @property
    def has_inventory(self) -> bool:
        return self.inventory_spec is not None

    def runner_for(self, action: str) -> Runner:
        spec = self._spec(action)
        if isinstance(spec, PipelineActionSpec):
            return self.runners[spec.runner]
        return self._runner

    def job_for(self, action: str, arguments: Mapping[str, ArgumentValue]) -> Job:
        """A job for the action; raises ArgumentError now if a value is missing or refused."""
        spec = self._spec(action)
        if isinstance(spec, PipelineActionSpec):
            job = Job(
                action, (), dict(arguments), spec.timeout, parameters=spec.parameters, remote=True
            )
            job.render_parameters()
            return job
        job = Job(action, spec.argv, dict(arguments), spec.timeout, spec.workdir, spec.env)
        job.render()
        return job

    def service(self, name: str) -> ServiceSpec:
        """The declared service; UnknownServiceError listing the known ones otherwise."""
        return self.services.service(name)

    def status_source(self, service: str) -> StatusSource:
        spec = self.service(service).status
        if spec is None:
            raise NotConfiguredError(
                f"No status source is configured for {service}; "
                f"{_NOT_CONFIGURED} as [services.{service}.status]."
            )
        return status_source(spec)

    def inventory(self) -> InventorySource:
        spec = self.inventory_spec
        if spec is None:
            raise NotConfiguredError(f"No inventory source is configured; {_NOT_CONFIGURED}.")
        if isinstance(spec, HttpInventorySpec):
            return HttpInventory(spec.url, timeout=spec.timeout, token_env=spec.token_env)
        return ExecInventory(spec.argv, timeout=spec.timeout, cwd=spec.workdir, env=spec.env)

    def _spec(self, action: str) -> ActionSpec:
        spec = self.actions.get(action)
        if spec is None:
            raise NotConfiguredError(
                f"The action '{action}' is not configured; {_NOT_CONFIGURED} as [actions.{action}]."
            )
        return spec


def load_automation(path: Path | None) -> AutomationConfig:
    """Read and check the config file; None gives a config with no inventory and no actions."""
    if path is None:
        return AutomationConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read the file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
    return _Loader(path).load(data)


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.resolve().parent

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def load(self, data: dict[str, object]) -> AutomationConfig:
        self._check_top_level(data)
        defaults = self.table(data, "automation", {"workdir", "env"})
        workdir = self.workdir(defaults, "automation", Path.cwd().resolve())
        env = self.env(defaults, "automation", ())
        actions = self.table(data, "actions", None)
        hub = CallbackHub()
        runners = RunnerParser(self, hub).all(data)
        specs = {
            name: self.action(actions, name, workdir, env, runners) for name in sorted(actions)
        }
        return AutomationConfig(
            path=self.path,
            actions=specs,
            inventory_spec=self.inventory(data, workdir, env),
            runners=runners,
            services=ServiceParser(self, specs).all(data, workdir, env),
            callbacks=hub,
        )

    def _check_top_level(self, data: dict[str, object]) -> None:
        for key in data:
            close = difflib.get_close_matches(key, _OWN_TABLES, n=1, cutoff=0.75)
            if key not in _OWN_TABLES and close:
                raise self.fail(key, f"unknown table; did you mean [{close[0]}]?")

    def table(
        self, parent: dict[str, object], key: str, allowed: set[str] | None, where: str = ""
    ) -> dict[str, object]:
        full = f"{where}.{key}" if where else key
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(full, "must be a table")
        unknown = sorted(set(value) - allowed) if allowed is not None else []
        if unknown:
            raise self.fail(
                f"{full}.{unknown[0]}",
                f"unknown key (expected one of: {', '.join(sorted(allowed or ()))})",
            )
        return value

    def action(
        self,
        actions: dict[str, object],
        name: str,
        workdir: Path,
        env: tuple[str, ...],
        runners: Mapping[str, PipelineRunner],
    ) -> ActionSpec:
        key = f"actions.{name}"
        if not _ACTION_NAME.fullmatch(name):
            raise self.fail(key, "action names are lower-case letters, digits, '-' and '_'")
        runner = self.table(actions, name, None, "actions").get("runner", "local")
        if runner == "local":
            table = self.table(
                actions, name, {"argv", "timeout", "workdir", "env", "runner"}, "actions"
            )
            return self.exec_spec(table, key, "5m", MAX_ACTION_TIMEOUT, workdir, env)
        if runner not in runners:
            known = ", ".join(['"local"', *(f'"{n}"' for n in runners)])
            raise self.fail(
                f"{key}.runner", f"unknown runner {runner!r} (expected one of: {known})"
            )
        table = self.table(actions, name, {"runner", "parameters", "timeout"}, "actions")
        return PipelineActionSpec(
            runner=str(runner),
            parameters=self.parameters(table, key),
            timeout=self.timeout(table, key, "30m", MAX_ACTION_TIMEOUT),
        )

    def parameters(self, table: dict[str, object], key: str) -> tuple[tuple[str, str], ...]:
        value = table.get("parameters", {})
        if not isinstance(value, dict):
            raise self.fail(f"{key}.parameters", 'must be a table like { version = "{version}" }')
        try:
            ParameterTemplate.parse(value)
        except TemplateError as exc:
            raise self.fail(f"{key}.parameters", str(exc)) from None
        return tuple((str(k), str(v)) for k, v in value.items())

    def inventory(
        self, data: dict[str, object], workdir: Path, env: tuple[str, ...]
    ) -> SourceSpec | None:
        if "inventory" not in data:
            return None
        return self.source(data, "inventory", "inventory", workdir, env, "cluster")

    def source(
        self,
        parent: dict[str, object],
        name: str,
        key: str,
        workdir: Path,
        env: tuple[str, ...],
        placeholder: str,
    ) -> SourceSpec:
        """An exec or http source (inventory, service status); `placeholder` is its only one."""
        where = key.rpartition(".")[0]
        kind = self.table(parent, name, None, where).get("kind", "exec")
        if kind == "exec":
            allowed = {"kind", "argv", "timeout", "workdir", "env"}
            table = self.table(parent, name, allowed, where)
            return self.exec_spec(
                table, key, "20s", MAX_INVENTORY_TIMEOUT, workdir, env, only=placeholder
            )
        if kind == "http":
            table = self.table(parent, name, {"kind", "url", "timeout", "token_env"}, where)
            return self.http_spec(table, key)
        raise self.fail(f"{key}.kind", 'must be "exec" or "http"')

    def exec_spec(
        self,
        table: dict[str, object],
        key: str,
        default_timeout: str,
        maximum: timedelta,
        workdir: Path,
        env: tuple[str, ...],
        only: str | None = None,
    ) -> ExecSpec:
        if "argv" not in table:
            raise self.fail(f"{key}.argv", 'missing (a list like ["python3", "script.py"])')
        argv = table["argv"]
        if not isinstance(argv, list):
            raise self.fail(f"{key}.argv", "must be a non-empty list of strings")
        try:
            template = ArgvTemplate.parse(argv)
        except TemplateError as exc:
            raise self.fail(f"{key}.argv", str(exc)) from None
        if only is not None and not _only(template, only):
            raise self.fail(f"{key}.argv", f"the only placeholder available here is {{{only}}}")
        job_dir = self.workdir(table, key, workdir)
        self.check_executable(f"{key}.argv", str(argv[0]), job_dir)
        return ExecSpec(
            argv=tuple(str(item) for item in argv),
            timeout=self.timeout(table, key, default_timeout, maximum),
            workdir=job_dir,
            env=tuple(dict.fromkeys((*env, *self.env(table, key, ())))),
        )

    def http_spec(self, table: dict[str, object], key: str) -> HttpInventorySpec:
        url = table.get("url")
        if not isinstance(url, str) or not url:
            raise self.fail(f"{key}.url", "missing (an http:// or https:// URL)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail(f"{key}.url", "must be an http:// or https:// URL with a host")
        token_env = table.get("token_env")
        if token_env is not None:
            token_env = self.env_name(f"{key}.token_env", token_env)
            if not os.environ.get(token_env):
                raise self.fail(f"{key}.token_env", f"environment variable {token_env} is not set")
            if parts.scheme == "http" and not is_loopback(parts.hostname):
                raise self.fail(f"{key}.url", "must use https:// when a token is sent")
        timeout = self.timeout(table, key, "20s", MAX_INVENTORY_TIMEOUT)
        return HttpInventorySpec(url, timeout, token_env)

    def timeout(
        self, table: dict[str, object], key: str, default: str, maximum: timedelta
    ) -> timedelta:
        return self.duration(table, "timeout", key, default, maximum)

    def duration(
        self, table: dict[str, object], name: str, key: str, default: str, maximum: timedelta
    ) -> timedelta:
        value = table.get(name, default)
        if not isinstance(value, str):
            raise self.fail(f"{key}.{name}", 'must be a quoted duration like "20s" or "5m"')
        try:
            return parse_duration(value, maximum=maximum)
        except DurationError as exc:
            raise self.fail(f"{key}.{name}", f"{value!r} {exc.reason}") from None

    def workdir(self, table: dict[str, object], key: str, default: Path) -> Path:
        value = table.get("workdir")
        if value is None:
            return default
        if not isinstance(value, str) or not value:
            raise self.fail(f"{key}.workdir", "must be a non-empty string (a directory)")
        resolved = (self.base / value).resolve()
        if not resolved.is_dir():
            raise self.fail(f"{key}.workdir", f"{resolved} is not a directory")
        return resolved

    def env(self, table: dict[str, object], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get("env", list(default))
        if not isinstance(value, list):
            raise self.fail(f"{key}.env", "must be a list of environment variable names")
        return tuple(self.passed_env_name(f"{key}.env", item) for item in value)

    def env_name(self, key: str, value: object) -> str:
        if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
            raise self.fail(key, f"{value!r} is not an environment variable name")
        return value

    def passed_env_name(self, key: str, value: object) -> str:
        """A name a job may receive: never one of the bot's own settings."""
        name = self.env_name(key, value)
        if _SECRET_ENV.match(name):
            raise self.fail(key, f"{name} is one of the bot's own settings; never passed to jobs")
        return name

    def check_executable(self, key: str, executable: str, workdir: Path) -> None:
        if "/" in executable:
            found = (workdir / executable).resolve()
            usable = found.is_file() and os.access(found, os.X_OK)
        else:
            usable = shutil.which(executable, path=os.environ.get("PATH", os.defpath)) is not None
        if not usable:
            where = f"in {workdir}" if "/" in executable else "on PATH"
            raise self.fail(key, f"executable {executable!r} not found {where} (or not executable)")


def _only(template: ArgvTemplate, name: str) -> bool:
    placeholders = [e for e in template.elements if isinstance(e, Placeholder)]
    return all(p.name == name and not p.splice for p in placeholders)
