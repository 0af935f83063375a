"""`[schedules.NAME]` in the automation config file: commands the bot runs on a cron schedule.

[schedules.morning-status]
cron = "0 9 * * 1-5"                 # minute hour day month weekday (see cron.py)
timezone = "Europe/Berlin"           # an IANA zone; ticks follow its DST changes
conversation = "19:…@thread.tacv2"   # where to post (a conversation the bot knows)
command = "status"                   # run through the normal gate, audited
run_as = { name = "Ops Robot", aad_object_id = "…", tenant_id = "…" }  # roles from policy
grace = "15m"                        # a tick missed while down runs on start if younger
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from teams_bot.automation.errors import ConfigError
from teams_bot.features.schedules.cron import Cron, CronError, parse_cron

_KEYS = ("cron", "timezone", "conversation", "command", "run_as", "grace")
_RUN_AS_KEYS = ("name", "aad_object_id", "tenant_id")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_GRACE = timedelta(minutes=15)


@dataclass(frozen=True)
class RunAs:
    name: str
    aad_object_id: str
    tenant_id: str = ""  # "" = the conversation's tenant


@dataclass(frozen=True)
class Schedule:
    name: str
    cron_text: str
    cron: Cron
    zone: ZoneInfo
    conversation: str
    command: str
    run_as: RunAs
    grace: timedelta = DEFAULT_GRACE


def load_schedules(path: Path | None) -> list[Schedule]:
    if path is None or not path.is_file():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8")).get("schedules", {})
    return parse_schedules(path, data)


def parse_schedules(path: Path, data: object) -> list[Schedule]:
    if not isinstance(data, dict):
        raise ConfigError(path, "schedules", "must be a table of [schedules.NAME] tables")
    return [_schedule(path, name, entry) for name, entry in data.items()]


def _schedule(path: Path, name: str, entry: object) -> Schedule:
    key = f"schedules.{name}"
    if not _NAME.fullmatch(name):
        raise ConfigError(path, key, "name: lowercase letters, digits, '-' and '_'")
    if not isinstance(entry, dict):
        raise ConfigError(path, key, "must be a table")
    unknown = [k for k in entry if k not in _KEYS]
    if unknown:
        raise ConfigError(path, f"{key}.{unknown[0]}", f"unknown key (known: {', '.join(_KEYS)})")
    cron_text = _text(path, key, entry, "cron")
    try:
        cron = parse_cron(cron_text)
    except CronError as exc:
        raise ConfigError(path, f"{key}.cron", str(exc)) from None
    return Schedule(
        name,
        cron_text,
        cron,
        _zone(path, key, entry),
        _text(path, key, entry, "conversation"),
        _text(path, key, entry, "command"),
        _run_as(path, key, entry.get("run_as")),
        _grace(path, key, entry.get("grace", "15m")),
    )


def _text(path: Path, key: str, entry: dict[str, Any], field: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, f"{key}.{field}", "is required and must be a non-empty string")
    return value.strip()


def _zone(path: Path, key: str, entry: dict[str, Any]) -> ZoneInfo:
    name = entry.get("timezone", "UTC")
    try:
        if not isinstance(name, str):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(path, f"{key}.timezone", f"unknown time zone {name!r}") from None


def _run_as(path: Path, key: str, value: object) -> RunAs:
    key = f"{key}.run_as"
    if not isinstance(value, dict):
        raise ConfigError(path, key, "is required: { name = ..., aad_object_id = ... }")
    unknown = [k for k in value if k not in _RUN_AS_KEYS]
    if unknown:
        raise ConfigError(path, f"{key}.{unknown[0]}", "unknown key")
    name = _text(path, key, value, "name")
    aad = _text(path, key, value, "aad_object_id")
    tenant = value.get("tenant_id", "")
    if not isinstance(tenant, str):
        raise ConfigError(path, f"{key}.tenant_id", "must be a string")
    return RunAs(name, aad, tenant.strip())


def _grace(path: Path, key: str, value: object) -> timedelta:
    match = _DURATION.fullmatch(value.strip().lower()) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(path, f"{key}.grace", "must be a duration like '90s', '15m', '2h'")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 0 < seconds <= 7 * 86400:
        raise ConfigError(path, f"{key}.grace", "must be more than 0 and at most 7d")
    return timedelta(seconds=seconds)
