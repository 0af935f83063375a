"""Services the release commands act on: `[services.NAME]` in the automation config.

A service declares its environments (with optional aliases such as prod -> production), the
pattern a version must match, the actions that deploy and roll it back, and optionally where
its health comes from. `ServiceCatalog.target()` is what `deploy` / `rollback` call: it
checks every argument against the declaration and says what is known when one is not.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from teams_bot.automation.errors import ArgumentError, UnknownServiceError
from teams_bot.automation.specs import SourceSpec

# Placeholders the release commands fill in the deploy / rollback actions.
RELEASE_ARGUMENTS = frozenset({"service", "version", "environment"})
DEFAULT_VERSION_PATTERN = r"[0-9A-Za-z][0-9A-Za-z._+-]{0,63}"
MAX_VERSION_CHARS = 128


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    environments: tuple[str, ...]
    default_environment: str
    version_pattern: re.Pattern[str]
    deploy_action: str
    rollback_action: str
    aliases: Mapping[str, str] = field(default_factory=dict)
    status: SourceSpec | None = None  # where health comes from; None: not configured

    def environment(self, given: str | None) -> str:
        """The declared environment for `given` (alias, any case), the default for None."""
        if given is None or not given.strip():
            return self.default_environment
        wanted = given.strip().lower()
        for name in self.environments:
            if name.lower() == wanted:
                return name
        if wanted in self.aliases:
            return self.aliases[wanted]
        known = list(self.environments)
        raise UnknownServiceError(
            f"'{_shown(given)}' is not an environment of {self.name}; "
            f"known: {', '.join(known)}.{_did_you_mean(wanted, known + list(self.aliases))}",
            known,
        )

    def check_version(self, version: str) -> str:
        """The version, if it matches the service's pattern; ArgumentError otherwise."""
        if len(version) > MAX_VERSION_CHARS or not self.version_pattern.fullmatch(version):
            raise ArgumentError(
                f"'{_shown(version)}' is not a valid version of {self.name} "
                f"(must match {self.version_pattern.pattern})."
            )
        return version


@dataclass(frozen=True)
class ReleaseTarget:
    """A checked (service, environment, version): the arguments of its deploy/rollback job."""

    service: ServiceSpec
    environment: str
    version: str | None

    def arguments(self) -> dict[str, str]:
        values = {"service": self.service.name, "environment": self.environment}
        if self.version is not None:
            values["version"] = self.version
        return values


@dataclass(frozen=True)
class ServiceCatalog:
    services: Mapping[str, ServiceSpec] = field(default_factory=dict)

    def service(self, name: str) -> ServiceSpec:
        spec = self.services.get(name.strip().lower())
        if spec is not None:
            return spec
        known = sorted(self.services)
        if not known:
            raise UnknownServiceError(
                "No services are configured; add [services.NAME] to the automation config "
                "file (TEAMS_BOT_CONFIG_FILE).",
                known,
            )
        raise UnknownServiceError(
            f"Unknown service '{_shown(name)}'; known: {', '.join(known)}."
            + _did_you_mean(name.lower(), known),
            known,
        )

    def target(
        self, service: str, environment: str | None, version: str | None = None
    ) -> ReleaseTarget:
        """Service, environment and (when given) version, each checked against the config."""
        spec = self.service(service)
        env = spec.environment(environment)
        return ReleaseTarget(spec, env, spec.check_version(version) if version else None)


def _shown(text: str) -> str:
    """User text quoted in an error: one line, at most 60 characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= 60 else flat[:59] + "…"


def _did_you_mean(given: str, known: list[str]) -> str:
    close = difflib.get_close_matches(given, known, n=1, cutoff=0.6)
    return f" Did you mean {close[0]}?" if close else ""
