"""Alert sources, declared in the config file (TEAMS_BOT_CONFIG_FILE) with their own secret:

    [alerts.sources.prod]              # POST /api/alerts/prod
    kind = "alertmanager"              # or "generic" (see teams_bot/alerts/parse.py)
    auth = "bearer"                    # or "hmac" (X-Opsbot-Timestamp + X-Opsbot-Signature)
    secret_env = "OPSBOT_ALERTS_PROD"  # the environment variable holding the secret (>= 16 chars)
    api_url = "http://127.0.0.1:9093"  # Alertmanager's API, for the Silence buttons (optional)
    tenant = "<tenant id>"             # only this tenant's subscriptions get it (optional)
    node_labels = ["node", "instance"] # labels that name a node (Reboot)
    release_labels = ["release"]       # labels that name a release (Rollback)
    team_labels = ["team"]             # labels that name the owning team

Every problem raises ConfigError naming the file and the key.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from teams_bot.automation.errors import ConfigError

KINDS = ("alertmanager", "generic")
AUTHS = ("bearer", "hmac")
MIN_SECRET = 16
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYS = (
    "kind",
    "auth",
    "secret_env",
    "api_url",
    "tenant",
    "node_labels",
    "release_labels",
    "team_labels",
)


@dataclass(frozen=True)
class AlertSource:
    name: str
    kind: str
    auth: str
    secret: str = field(repr=False)
    secret_env: str = ""
    api_url: str = ""
    tenant_id: str = ""
    node_labels: tuple[str, ...] = ("node", "instance")
    release_labels: tuple[str, ...] = ("release",)
    team_labels: tuple[str, ...] = ("team",)

    def first_label(self, labels: Mapping[str, str], names: tuple[str, ...]) -> str:
        """The value of the first of `names` present in `labels` ("" if none is)."""
        return next((labels[n] for n in names if labels.get(n)), "")


@dataclass(frozen=True)
class AlertsConfig:
    sources: Mapping[str, AlertSource] = field(default_factory=dict)


def load_alerts(
    path: Path | None, data: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> AlertsConfig:
    """The `[alerts]` table of the parsed config file `data` (read from `path`)."""
    env = os.environ if environ is None else environ
    alerts = data.get("alerts", {})
    if not isinstance(alerts, dict):
        raise ConfigError(path, "alerts", "must be a table")
    unknown = set(alerts) - {"sources"}
    if unknown:
        raise ConfigError(path, f"alerts.{sorted(unknown)[0]}", "unknown key (expected sources)")
    sources = alerts.get("sources", {})
    if not isinstance(sources, dict):
        raise ConfigError(path, "alerts.sources", "must be a table of sources")
    return AlertsConfig({name: _source(path, name, spec, env) for name, spec in sources.items()})


def _source(path: Path | None, name: str, spec: object, env: Mapping[str, str]) -> AlertSource:
    key = f"alerts.sources.{name}"
    if not _NAME.fullmatch(name):
        raise ConfigError(path, key, "a source name is 1-40 of a-z, 0-9, - and _")
    if not isinstance(spec, dict):
        raise ConfigError(path, key, "must be a table")
    for unknown in sorted(set(spec) - set(_KEYS)):
        close = difflib.get_close_matches(unknown, _KEYS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(path, f"{key}.{unknown}", f"unknown key{hint}")
    kind = _choice(path, key, spec, "kind", KINDS)
    auth = _choice(path, key, spec, "auth", AUTHS)
    secret_env = _string(path, key, spec, "secret_env", required=True)
    if not _ENV_NAME.fullmatch(secret_env):
        raise ConfigError(path, f"{key}.secret_env", "must be an environment variable name")
    secret = env.get(secret_env, "")
    if len(secret) < MIN_SECRET:
        raise ConfigError(
            path,
            f"{key}.secret_env",
            f"${secret_env} must be set to a secret of at least {MIN_SECRET} characters",
        )
    return AlertSource(
        name=name,
        kind=kind,
        auth=auth,
        secret=secret,
        secret_env=secret_env,
        api_url=_url(path, key, spec),
        tenant_id=_string(path, key, spec, "tenant"),
        node_labels=_labels(path, key, spec, "node_labels", ("node", "instance")),
        release_labels=_labels(path, key, spec, "release_labels", ("release",)),
        team_labels=_labels(path, key, spec, "team_labels", ("team",)),
    )


def _string(
    path: Path | None, key: str, spec: dict[str, Any], name: str, *, required: bool = False
) -> str:
    value = spec.get(name, "")
    if not isinstance(value, str):
        raise ConfigError(path, f"{key}.{name}", "must be a string")
    if required and not value:
        raise ConfigError(path, f"{key}.{name}", "is required")
    return value


def _choice(
    path: Path | None, key: str, spec: dict[str, Any], name: str, choices: tuple[str, ...]
) -> str:
    value = _string(path, key, spec, name, required=True)
    if value not in choices:
        raise ConfigError(path, f"{key}.{name}", f"must be one of {', '.join(choices)}")
    return value


def _url(path: Path | None, key: str, spec: dict[str, Any]) -> str:
    url = _string(path, key, spec, "api_url")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(path, f"{key}.api_url", "must be an http(s) URL")
    return url.rstrip("/")


def _labels(
    path: Path | None, key: str, spec: dict[str, Any], name: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = spec.get(name, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(path, f"{key}.{name}", "must be a list of label names")
    return tuple(value)
