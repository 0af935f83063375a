"""`[oncall]` in the automation config file: one rotation per team.

[oncall]
default_team = "platform"            # `oncall` without a team (default: the only team)

[oncall.teams.platform]
timezone = "Europe/Berlin"           # an IANA zone; hand-offs follow its DST changes
handoff = "09:00"                    # local hand-off time
rotation = "weekly"                  # daily | weekly
start = "2026-01-05"                 # the first member's first shift starts that day
members = [
  { name = "Alice Ops", aad_object_id = "…", teams_id = "29:…" },
  "00000000-0000-0000-0000-0000000000b0",   # bound by AAD object id alone
]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from teams_bot.automation.errors import ConfigError

_TOP_KEYS = ("default_team", "teams")
_TEAM_KEYS = ("timezone", "handoff", "rotation", "start", "members")
_MEMBER_KEYS = ("name", "aad_object_id", "teams_id")
_TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_HANDOFF = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
PERIOD_DAYS = {"daily": 1, "weekly": 7}


@dataclass(frozen=True)
class Person:
    """Someone who can be on call (or paged): the name shown and the ids Teams mentions by."""

    name: str
    aad_object_id: str = ""
    teams_id: str = ""


@dataclass(frozen=True)
class Rotation:
    team: str
    zone: ZoneInfo
    handoff: time
    period_days: int  # 1 daily, 7 weekly
    start: date
    members: tuple[Person, ...]


@dataclass(frozen=True)
class OnCallConfig:
    teams: dict[str, Rotation]
    default_team: str = ""

    def team(self, name: str | None) -> Rotation | None:
        key = (name or self.default_team).strip().lower()
        if not key and len(self.teams) == 1:
            return next(iter(self.teams.values()))
        return self.teams.get(key)


def load_oncall_config(path: Path | None) -> OnCallConfig:
    if path is None or not path.is_file():
        return OnCallConfig({})
    data = tomllib.loads(path.read_text(encoding="utf-8")).get("oncall", {})
    return parse_oncall(path, data)


def parse_oncall(path: Path, data: object) -> OnCallConfig:
    if not isinstance(data, dict):
        raise ConfigError(path, "oncall", "must be a table")
    _known(path, "oncall", data, _TOP_KEYS)
    teams = data.get("teams", {})
    if not isinstance(teams, dict):
        raise ConfigError(path, "oncall.teams", "must be a table of teams")
    parsed = {name.lower(): _team(path, name, spec) for name, spec in teams.items()}
    default = data.get("default_team", "")
    if not isinstance(default, str) or (default and default.lower() not in parsed):
        raise ConfigError(path, "oncall.default_team", "must name a team under [oncall.teams]")
    return OnCallConfig(parsed, default.lower())


def _known(path: Path, where: str, data: dict[str, Any], keys: tuple[str, ...]) -> None:
    unknown = [k for k in data if k not in keys]
    if unknown:
        raise ConfigError(path, f"{where}.{unknown[0]}", f"unknown key (known: {', '.join(keys)})")


def _team(path: Path, name: str, spec: object) -> Rotation:
    where = f"oncall.teams.{name}"
    if not _TEAM_NAME.fullmatch(name.lower()):
        raise ConfigError(path, where, "a team name is letters, digits, - and _ (up to 64)")
    if not isinstance(spec, dict):
        raise ConfigError(path, where, "must be a table")
    _known(path, where, spec, _TEAM_KEYS)
    return Rotation(
        team=name.lower(),
        zone=_zone(path, where, spec.get("timezone", "UTC")),
        handoff=_handoff(path, where, spec.get("handoff", "09:00")),
        period_days=_period(path, where, spec.get("rotation", "weekly")),
        start=_start(path, where, spec.get("start")),
        members=_members(path, where, spec.get("members")),
    )


def _zone(path: Path, where: str, value: object) -> ZoneInfo:
    try:
        if not isinstance(value, str) or not value:
            raise ValueError(value)
        return ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(path, f"{where}.timezone", "must be an IANA time zone") from None


def _handoff(path: Path, where: str, value: object) -> time:
    match = _HANDOFF.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(path, f"{where}.handoff", 'must be a 24-hour time like "09:00"')
    return time(int(match.group(1)), int(match.group(2)))


def _period(path: Path, where: str, value: object) -> int:
    if value not in PERIOD_DAYS:
        raise ConfigError(path, f"{where}.rotation", "must be daily or weekly")
    return PERIOD_DAYS[str(value)]


def _start(path: Path, where: str, value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(path, f"{where}.start", "must be a date like 2026-01-05") from None


def _members(path: Path, where: str, value: object) -> tuple[Person, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(path, f"{where}.members", "must be a non-empty list")
    return tuple(_member(path, f"{where}.members[{i}]", m) for i, m in enumerate(value))


def _member(path: Path, where: str, value: object) -> Person:
    if isinstance(value, str) and value.strip():
        return Person(value.strip(), aad_object_id=value.strip())
    if not isinstance(value, dict):
        raise ConfigError(
            path, where, "must be an AAD object id or {name, aad_object_id, teams_id}"
        )
    _known(path, where, value, _MEMBER_KEYS)
    fields = {k: value.get(k, "") for k in _MEMBER_KEYS}
    for key, text in fields.items():
        if not isinstance(text, str):
            raise ConfigError(path, f"{where}.{key}", "must be text")
    if not fields["name"].strip():
        raise ConfigError(path, f"{where}.name", "is required")
    return Person(fields["name"].strip(), fields["aad_object_id"], fields["teams_id"])
