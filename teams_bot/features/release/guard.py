"""The change freeze as a guard of the gate: risky commands are held while a freeze holds for
their environment, naming who froze, why and until when. People with `freeze.override` may go
ahead with the approval that policy's rules for `freeze override` require."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from teams_bot.automation.config import load_automation
from teams_bot.automation.release import ServiceCatalog
from teams_bot.errors import CommandError
from teams_bot.features.release.config import load_release_config
from teams_bot.features.release.store import Freeze, FreezeStore
from teams_bot.identity import Caller, Where
from teams_bot.kit import Guard, Hold
from teams_bot.settings import Settings
from teams_bot.storage.db import Database

OVERRIDE_PERMISSION, OVERRIDE_COMMAND = "freeze.override", "freeze override"


def freeze_guard(settings: Settings, db: Database) -> Guard:
    risky = set(load_release_config(settings.config_file).risky)
    catalog = load_automation(settings.config_file).services
    store = FreezeStore(db)

    async def guard(
        caller: Caller, where: Where, command: str, arguments: Mapping[str, object]
    ) -> Hold | None:
        if command.lower() not in risky:
            return None
        names = _environment_names(catalog, arguments)
        now = datetime.now(UTC)
        for freeze in await store.active(caller.tenant_id, now):
            if freeze.environment == "*" or freeze.environment in names:
                return Hold(describe(freeze), OVERRIDE_PERMISSION, OVERRIDE_COMMAND)
        return None

    return guard


def _environment_names(catalog: ServiceCatalog, arguments: Mapping[str, object]) -> set[str]:
    """The environment a request names, as typed and as declared (aliases both ways)."""
    given = arguments.get("environment") or arguments.get("env")
    service = arguments.get("service")
    if not isinstance(given, str) or not given:
        return set()
    names = {given.lower()}
    if isinstance(service, str) and service:
        try:
            spec = catalog.service(service)
            declared = spec.environment(given)
        except CommandError:
            return names
        names.add(declared.lower())
        names.update(alias for alias, name in spec.aliases.items() if name == declared)
    return names


def describe(freeze: Freeze) -> str:
    where = "everywhere" if freeze.environment == "*" else f"in {freeze.environment}"
    since = freeze.started_at.strftime("%H:%M UTC")
    until = f" until {freeze.until.strftime('%Y-%m-%d %H:%M UTC')}" if freeze.until else ""
    why = f": {freeze.reason}" if freeze.reason else ""
    return f"Changes are frozen {where} by {freeze.by_name} since {since}{until}{why}."
