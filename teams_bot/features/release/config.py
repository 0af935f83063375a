"""`[release]` in the automation config file: which commands a freeze stops, and how many
releases may run at once.

    [release]
    risky = ["deploy", "rollback", "nodes reboot", "release rollback"]   # the default
    max_concurrent = 4                                                  # the default
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from teams_bot.automation.errors import ConfigError

DEFAULT_RISKY = ("deploy", "rollback", "nodes reboot", "release rollback")
_KEYS = ("risky", "max_concurrent")


@dataclass(frozen=True)
class ReleaseConfig:
    risky: tuple[str, ...] = DEFAULT_RISKY
    max_concurrent: int = 4


def load_release_config(path: Path | None) -> ReleaseConfig:
    if path is None or not path.is_file():
        return ReleaseConfig()
    data = tomllib.loads(path.read_text(encoding="utf-8")).get("release", {})
    if not isinstance(data, dict):
        raise ConfigError(path, "release", "must be a table")
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise ConfigError(path, f"release.{unknown[0]}", f"unknown key (known: {', '.join(_KEYS)})")
    risky = data.get("risky", list(DEFAULT_RISKY))
    if not isinstance(risky, list) or not all(isinstance(r, str) and r.strip() for r in risky):
        raise ConfigError(path, "release.risky", "must be a list of command names")
    limit = data.get("max_concurrent", 4)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
        raise ConfigError(path, "release.max_concurrent", "must be a whole number from 1 to 100")
    return ReleaseConfig(tuple(r.strip().lower() for r in risky), limit)
