"""Before `serve` listens: settings made whole and checked, so a mistake is one clear line
(naming the setting) and exit code 2, never a traceback after the port is taken."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url

from teams_bot.automation.config import load_automation
from teams_bot.automation.errors import ConfigError
from teams_bot.first_run import with_local_defaults
from teams_bot.policy import PolicyError, load_policy
from teams_bot.settings import Settings, tenancy_warning


class StartupError(Exception):
    """A setting that cannot work; the message names it."""


@dataclass(frozen=True)
class Prepared:
    settings: Settings
    notes: list[str] = field(default_factory=list)  # lines for the start-up log
    warnings: list[str] = field(default_factory=list)


def absolute(settings: Settings) -> Settings:
    """Relative paths resolved now (and shown absolute), whatever the working directory later."""
    update: dict[str, Path] = {"data_dir": settings.data_dir.expanduser().resolve()}
    for name in ("policy_file", "config_file"):
        value = getattr(settings, name)
        if value is not None:
            update[name] = value.expanduser().resolve()
    return settings.model_copy(update=update)


def prepare(settings: Settings) -> Prepared:
    """Paths, local defaults, then every file loaded once; raises StartupError."""
    settings = absolute(settings)
    _check_data_dir(settings)  # first: the local defaults keep the generated key there
    first = with_local_defaults(settings)
    settings = first.settings
    _check_policy(settings)
    _check_config(settings)
    notes = [line for line in (first.line(),) if line] + [describe(settings)]
    warnings = [w for w in (tenancy_warning(settings),) if w]
    return Prepared(settings, notes, warnings)


def describe(settings: Settings) -> str:
    policy = settings.policy_file or "none (the restrictive default: help, whoami, version)"
    config = settings.config_file or "none (no inventory, no actions)"
    return f"policy: {policy}; automation config: {config}; database: {database_of(settings)}"


def database_of(settings: Settings) -> str:
    if settings.database_url is None:
        return f"SQLite {settings.data_dir / 'teams-bot.db'}"
    url = make_url(settings.database_url.get_secret_value())
    return url.render_as_string(hide_password=True)


def _check_policy(settings: Settings) -> None:
    try:
        load_policy(settings.policy_file)
    except PolicyError as exc:
        raise StartupError(f"TEAMS_BOT_POLICY_FILE: {exc}") from None


def _check_config(settings: Settings) -> None:
    """The automation config, and the tables features read from the same file."""
    from teams_bot.alerts import load_alerts
    from teams_bot.features.oncall.config import load_oncall_config
    from teams_bot.features.opslog import conversation_of as opslog_conversation
    from teams_bot.features.release.config import load_release_config
    from teams_bot.features.runbooks.config import load_runbooks_config
    from teams_bot.features.schedules.config import load_schedules

    path = settings.config_file
    try:
        load_automation(path)
        load_release_config(path)
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path else {}
        load_alerts(path, data)
        load_oncall_config(path)
        load_runbooks_config(path)
        opslog_conversation(path)
        load_schedules(path)
    except ConfigError as exc:
        raise StartupError(f"TEAMS_BOT_CONFIG_FILE: {exc}") from None


def _check_data_dir(settings: Settings) -> None:
    """The data directory holds the SQLite database and, in local mode, the button key."""
    if settings.database_url is not None and settings.auth_enabled:
        return
    data_dir = settings.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(
            f"TEAMS_BOT_DATA_DIR: cannot create {data_dir}: {exc.strerror}"
        ) from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise StartupError(f"TEAMS_BOT_DATA_DIR: {data_dir} is not writable by this user")
