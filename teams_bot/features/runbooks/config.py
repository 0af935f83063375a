"""`[runbooks]` in the automation config file: where the Markdown runbooks are, and the
executable runbooks (each a list of steps, each step a configured action).

    [runbooks]
    folder = "runbooks"                  # Markdown files, relative to the config file

    [runbooks.run.restart-web]
    title = "Restart the web nodes"      # optional
    defaults = { first = "web-07" }      # optional: arguments not typed
    steps = [
      { name = "Reboot the first node", action = "reboot", args = { node = "{first}" } },
      { name = "Reboot the second node", action = "reboot", args = { node = "{second}" },
        pause = true },
    ]

`runbook run restart-web first=web-01 second=web-02`: the typed `key=value` arguments fill each
step's action placeholders (and the `{key}` references in a step's own `args`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from teams_bot.automation.errors import ConfigError

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_TOP = ("folder", "run")
_RUN = ("title", "steps", "defaults")
_STEP = ("name", "action", "pause", "args")
_REF = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
MAX_STEPS = 50


@dataclass(frozen=True)
class Step:
    name: str
    action: str
    pause: bool = False
    args: tuple[tuple[str, str], ...] = ()  # fixed values; "{key}" takes a typed argument

    def arguments(self, typed: dict[str, str]) -> dict[str, str]:
        """The action's placeholders: the typed arguments, then this step's own values."""
        own = {k: _REF.sub(lambda m: typed.get(m.group(1), m.group(0)), v) for k, v in self.args}
        return {**typed, **own}


@dataclass(frozen=True)
class Runbook:
    name: str
    title: str
    steps: tuple[Step, ...]
    defaults: tuple[tuple[str, str], ...] = ()  # typed arguments when not given

    def values(self, typed: dict[str, str]) -> dict[str, str]:
        return {**dict(self.defaults), **typed}


@dataclass(frozen=True)
class RunbooksConfig:
    folder: Path | None = None
    runs: tuple[Runbook, ...] = ()

    def run(self, name: str) -> Runbook | None:
        return next((r for r in self.runs if r.name == name), None)

    def documents(self) -> dict[str, Path]:
        """Markdown runbooks by name (file stem); names outside NAME are not offered."""
        if self.folder is None or not self.folder.is_dir():
            return {}
        inside = self.folder.resolve()
        found = {
            p.stem: p
            for p in self.folder.glob("*.md")
            if p.is_file() and p.resolve().parent == inside  # no links out of the folder
        }
        return {name: found[name] for name in sorted(found) if NAME.fullmatch(name)}


def load_runbooks_config(path: Path | None) -> RunbooksConfig:
    if path is None or not path.is_file():
        return RunbooksConfig()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    table = data.get("runbooks", {})
    if not isinstance(table, dict):
        raise ConfigError(path, "runbooks", "must be a table")
    _unknown(path, "runbooks", table, _TOP)
    folder = table.get("folder", "runbooks")
    if not isinstance(folder, str) or not folder.strip():
        raise ConfigError(path, "runbooks.folder", "must be a folder name")
    actions = data.get("actions", {})
    known = set(actions) if isinstance(actions, dict) else set()
    runs = table.get("run", {})
    if not isinstance(runs, dict):
        raise ConfigError(path, "runbooks.run", "must be a table of runbooks")
    parsed = tuple(_runbook(path, name, value, known) for name, value in sorted(runs.items()))
    return RunbooksConfig(path.resolve().parent / folder, parsed)


def _unknown(path: Path, where: str, table: dict[str, object], keys: tuple[str, ...]) -> None:
    extra = [k for k in table if k not in keys]
    if extra:
        raise ConfigError(path, f"{where}.{extra[0]}", f"unknown key (known: {', '.join(keys)})")


def _runbook(path: Path, name: str, value: object, actions: set[str]) -> Runbook:
    where = f"runbooks.run.{name}"
    if not NAME.fullmatch(name):
        raise ConfigError(path, where, "a name is lowercase letters, digits, - and _")
    if not isinstance(value, dict):
        raise ConfigError(path, where, "must be a table")
    _unknown(path, where, value, _RUN)
    title = value.get("title", name)
    if not isinstance(title, str):
        raise ConfigError(path, f"{where}.title", "must be text")
    steps = value.get("steps")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise ConfigError(path, f"{where}.steps", f"must be a list of 1 to {MAX_STEPS} steps")
    parsed = tuple(_step(path, f"{where}.steps[{i}]", s, actions) for i, s in enumerate(steps))
    defaults = value.get("defaults", {})
    if not isinstance(defaults, dict) or not all(isinstance(v, str) for v in defaults.values()):
        raise ConfigError(path, f"{where}.defaults", "must be a table of text values")
    return Runbook(name, title.strip() or name, parsed, tuple(sorted(defaults.items())))


def _step(path: Path, where: str, value: object, actions: set[str]) -> Step:
    if not isinstance(value, dict):
        raise ConfigError(path, where, "must be a table { name = ..., action = ... }")
    _unknown(path, where, value, _STEP)
    name, action, pause = value.get("name"), value.get("action"), value.get("pause", False)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(path, f"{where}.name", "must be text")
    if not isinstance(action, str) or action not in actions:
        known = ", ".join(sorted(actions)) or "none"
        raise ConfigError(path, f"{where}.action", f"must name an [actions.X] (known: {known})")
    if not isinstance(pause, bool):
        raise ConfigError(path, f"{where}.pause", "must be true or false")
    args = value.get("args", {})
    if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
        raise ConfigError(path, f"{where}.args", "must be a table of text values")
    return Step(name.strip(), action, pause, tuple(sorted(args.items())))
