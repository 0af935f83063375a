"""The automation config file (TOML, TEAMS_BOT_CONFIG_FILE): inventory source and actions.

See infra/config.example.toml for the format. Paths: `workdir` values are relative to the
config file's directory; without one, jobs run in the directory the bot was started in
(fixed at load time). A relative executable (`./bin/x`, `scripts/x.sh`) or script argument
is relative to the job's working directory; a bare name (`python3`) is looked up on PATH.
Every problem raises ConfigError naming the file and the key; top-level tables this module
does not know are left to their owners.
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
from teams_bot.automation.runner import Runner
from teams_bot.automation.template import ArgvTemplate, Placeholder
from teams_bot.commands.durations import DurationError, parse_duration
from teams_bot.hosts import is_loopback

_OWN_TABLES = ("automation", "inventory", "actions")
_ACTION_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_ENV = re.compile(r"(?i)(MicrosoftApp|TEAMS_BOT_)")
_NOT_CONFIGURED = "add it to the automation config file (TEAMS_BOT_CONFIG_FILE)"
MAX_ACTION_TIMEOUT = timedelta(days=1)
MAX_INVENTORY_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class ExecSpec:
    """How to run something locally: argv template, time limit, directory, env allow-list."""

    argv: tuple[str, ...]
    timeout: timedelta
    workdir: Path
    env: tuple[str, ...]


@dataclass(frozen=True)
class HttpInventorySpec:
    url: str
    timeout: timedelta
    token_env: str | None


@dataclass(frozen=True)
class AutomationConfig:
    """What the automation features may do; an empty config means "not configured"."""

    path: Path | None = None
    actions: Mapping[str, ExecSpec] = field(default_factory=dict)
    inventory_spec: ExecSpec | HttpInventorySpec | None = None
    _runner: LocalExecutableRunner = field(
        default_factory=LocalExecutableRunner, repr=False, compare=False
    )

    @property
    def has_inventory(self) -> bool:
        return self.inventory_spec is not None

    def runner_for(self, action: str) -> Runner:
        self._spec(action)
        return self._runner

    def job_for(self, action: str, arguments: Mapping[str, ArgumentValue]) -> Job:
        """A job for the action; raises ArgumentError now if a value is missing or refused."""
        spec = self._spec(action)
        job = Job(action, spec.argv, dict(arguments), spec.timeout, spec.workdir, spec.env)
        job.render()
        return job

    def inventory(self) -> InventorySource:
        spec = self.inventory_spec
        if spec is None:
            raise NotConfiguredError(f"No inventory source is configured; {_NOT_CONFIGURED}.")
        if isinstance(spec, HttpInventorySpec):
            return HttpInventory(spec.url, timeout=spec.timeout, token_env=spec.token_env)
        return ExecInventory(spec.argv, timeout=spec.timeout, cwd=spec.workdir, env=spec.env)

    def _spec(self, action: str) -> ExecSpec:
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
        return AutomationConfig(
            path=self.path,
            actions={name: self.action(actions, name, workdir, env) for name in sorted(actions)},
            inventory_spec=self.inventory(data, workdir, env),
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
        self, actions: dict[str, object], name: str, workdir: Path, env: tuple[str, ...]
    ) -> ExecSpec:
        key = f"actions.{name}"
        if not _ACTION_NAME.fullmatch(name):
            raise self.fail(key, "action names are lower-case letters, digits, '-' and '_'")
        table = self.table(
            actions, name, {"argv", "timeout", "workdir", "env", "runner"}, "actions"
        )
        runner = table.get("runner", "local")
        if runner != "local":
            raise self.fail(f"{key}.runner", f'unknown runner {runner!r} (expected "local")')
        return self.exec_spec(table, key, "5m", MAX_ACTION_TIMEOUT, workdir, env)

    def inventory(
        self, data: dict[str, object], workdir: Path, env: tuple[str, ...]
    ) -> ExecSpec | HttpInventorySpec | None:
        if "inventory" not in data:
            return None
        kind = self.table(data, "inventory", None).get("kind", "exec")
        if kind == "exec":
            table = self.table(data, "inventory", {"kind", "argv", "timeout", "workdir", "env"})
            return self.exec_spec(table, "inventory", "20s", MAX_INVENTORY_TIMEOUT, workdir, env)
        if kind == "http":
            table = self.table(data, "inventory", {"kind", "url", "timeout", "token_env"})
            return self.http_spec(table)
        raise self.fail("inventory.kind", 'must be "exec" or "http"')

    def exec_spec(
        self,
        table: dict[str, object],
        key: str,
        default_timeout: str,
        maximum: timedelta,
        workdir: Path,
        env: tuple[str, ...],
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
        if key == "inventory" and not _only_cluster(template):
            raise self.fail(f"{key}.argv", "the only placeholder available here is {cluster}")
        job_dir = self.workdir(table, key, workdir)
        self.check_executable(f"{key}.argv", str(argv[0]), job_dir)
        return ExecSpec(
            argv=tuple(str(item) for item in argv),
            timeout=self.timeout(table, key, default_timeout, maximum),
            workdir=job_dir,
            env=tuple(dict.fromkeys((*env, *self.env(table, key, ())))),
        )

    def http_spec(self, table: dict[str, object]) -> HttpInventorySpec:
        url = table.get("url")
        if not isinstance(url, str) or not url:
            raise self.fail("inventory.url", "missing (an http:// or https:// URL)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail("inventory.url", "must be an http:// or https:// URL with a host")
        token_env = table.get("token_env")
        if token_env is not None:
            token_env = self.env_name("inventory.token_env", token_env)
            if not os.environ.get(token_env):
                raise self.fail(
                    "inventory.token_env", f"environment variable {token_env} is not set"
                )
            if parts.scheme == "http" and not is_loopback(parts.hostname):
                raise self.fail("inventory.url", "must use https:// when a token is sent")
        timeout = self.timeout(table, "inventory", "20s", MAX_INVENTORY_TIMEOUT)
        return HttpInventorySpec(url, timeout, token_env)

    def timeout(
        self, table: dict[str, object], key: str, default: str, maximum: timedelta
    ) -> timedelta:
        value = table.get("timeout", default)
        if not isinstance(value, str):
            raise self.fail(f"{key}.timeout", 'must be a quoted duration like "20s" or "5m"')
        try:
            return parse_duration(value, maximum=maximum)
        except DurationError as exc:
            raise self.fail(f"{key}.timeout", f"{value!r} {exc.reason}") from None

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


def _only_cluster(template: ArgvTemplate) -> bool:
    placeholders = [e for e in template.elements if isinstance(e, Placeholder)]
    return all(p.name == "cluster" and not p.splice for p in placeholders)
