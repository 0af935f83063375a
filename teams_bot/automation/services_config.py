"""`[services.NAME]` tables: what the release commands deploy, where, and with which actions.

    [services.web]
    environments = ["staging", "production"]   # required; the first is the default
    default_environment = "staging"            # optional
    aliases = { prod = "production" }          # optional
    version_pattern = '\\d+\\.\\d+\\.\\d+'          # optional; the whole version must match
    deploy = "deploy-web"                      # an [actions.X] (local or pipeline)
    rollback = "rollback-web"                  # optional; default: the deploy action
    [services.web.status]                      # optional: exec or http, like [inventory]

The deploy and rollback actions may only use the placeholders {service}, {version} and
{environment}: those are what the release commands fill.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from teams_bot.automation.release import (
    DEFAULT_VERSION_PATTERN,
    RELEASE_ARGUMENTS,
    ServiceCatalog,
    ServiceSpec,
)
from teams_bot.automation.specs import ActionSpec, ExecSpec
from teams_bot.automation.template import ArgvTemplate, ParameterTemplate

if TYPE_CHECKING:
    from teams_bot.automation.config import _Loader

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_KEYS = {
    "environments",
    "default_environment",
    "aliases",
    "version_pattern",
    "deploy",
    "rollback",
    "status",
}


class ServiceParser:
    def __init__(self, loader: _Loader, actions: Mapping[str, ActionSpec]) -> None:
        self.loader = loader
        self.actions = actions

    def all(self, data: dict[str, object], workdir: Path, env: tuple[str, ...]) -> ServiceCatalog:
        services = self.loader.table(data, "services", None)
        return ServiceCatalog(
            {name: self.one(services, name, workdir, env) for name in sorted(services)}
        )

    def one(
        self, services: dict[str, object], name: str, workdir: Path, env: tuple[str, ...]
    ) -> ServiceSpec:
        key = f"services.{name}"
        if not _NAME.fullmatch(name):
            raise self.loader.fail(key, "service names are lower-case letters, digits, '-', '_'")
        table = self.loader.table(services, name, _KEYS, "services")
        environments = self.environments(table, key)
        deploy = self.action(table, key, "deploy", None)
        status = None
        if "status" in table:
            status = self.loader.source(
                table, "status", f"{key}.status", workdir, env, placeholder="service"
            )
        return ServiceSpec(
            name=name,
            environments=environments,
            default_environment=self.default(table, key, environments),
            version_pattern=self.pattern(table, key),
            deploy_action=deploy,
            rollback_action=self.action(table, key, "rollback", deploy),
            aliases=self.aliases(table, key, environments),
            status=status,
        )

    def environments(self, table: dict[str, object], key: str) -> tuple[str, ...]:
        value = table.get("environments")
        if not isinstance(value, list) or not value:
            raise self.loader.fail(
                f"{key}.environments", 'missing or empty (a list like ["staging", "production"])'
            )
        for item in value:
            if not isinstance(item, str) or not _NAME.fullmatch(item):
                raise self.loader.fail(
                    f"{key}.environments",
                    f"{item!r}: environment names are lower-case letters, digits, '-', '_'",
                )
        if len(set(value)) != len(value):
            raise self.loader.fail(f"{key}.environments", "lists an environment twice")
        return tuple(value)

    def default(self, table: dict[str, object], key: str, environments: tuple[str, ...]) -> str:
        value = table.get("default_environment", environments[0])
        if value not in environments:
            raise self.loader.fail(
                f"{key}.default_environment",
                f"{value!r} is not one of the environments ({', '.join(environments)})",
            )
        return str(value)

    def aliases(
        self, table: dict[str, object], key: str, environments: tuple[str, ...]
    ) -> dict[str, str]:
        value = table.get("aliases", {})
        if not isinstance(value, dict):
            raise self.loader.fail(f"{key}.aliases", 'must be a table like { prod = "production" }')
        for alias, target in value.items():
            if target not in environments:
                raise self.loader.fail(
                    f"{key}.aliases.{alias}",
                    f"{target!r} is not one of the environments ({', '.join(environments)})",
                )
            if alias in environments or not _NAME.fullmatch(alias):
                raise self.loader.fail(
                    f"{key}.aliases.{alias}", "must be a new lower-case name, not an environment"
                )
        return {str(a): str(t) for a, t in value.items()}

    def pattern(self, table: dict[str, object], key: str) -> re.Pattern[str]:
        value = table.get("version_pattern", DEFAULT_VERSION_PATTERN)
        if not isinstance(value, str) or not value:
            raise self.loader.fail(f"{key}.version_pattern", "must be a regular expression")
        try:
            return re.compile(value)
        except re.error as exc:
            raise self.loader.fail(
                f"{key}.version_pattern", f"not a valid regular expression: {exc}"
            ) from None

    def action(self, table: dict[str, object], key: str, which: str, default: str | None) -> str:
        value = table.get(which, default)
        if value is None:
            raise self.loader.fail(f"{key}.{which}", "missing (the name of an [actions.X])")
        spec = self.actions.get(str(value)) if isinstance(value, str) else None
        if spec is None:
            known = ", ".join(sorted(self.actions)) or "none"
            raise self.loader.fail(
                f"{key}.{which}", f"{value!r} is not a configured action (configured: {known})"
            )
        extra = sorted(_placeholders(spec) - RELEASE_ARGUMENTS)
        if extra:
            raise self.loader.fail(
                f"{key}.{which}",
                f"action {value!r} uses {{{extra[0]}}}; the release commands fill only "
                "{service}, {version} and {environment}",
            )
        return str(value)


def _placeholders(spec: ActionSpec) -> frozenset[str]:
    if isinstance(spec, ExecSpec):
        return ArgvTemplate.parse(spec.argv).names
    return ParameterTemplate.parse(dict(spec.parameters)).names
