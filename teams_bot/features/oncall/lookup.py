"""The public on-call lookup, for this feature's commands and for other features.

    from teams_bot.features.oncall import oncall_for
    person = await oncall_for(services, "platform", datetime.now(UTC))
    # Person(name, aad_object_id, teams_id) or None (unknown team, rotation not started)

The alerts feature may call it for a critical alert's `team` label and mention the person
(cards.oncall.mention gives the TextBlock text and the msteams entity).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from teams_bot.automation.errors import ConfigError
from teams_bot.errors import CommandError
from teams_bot.features.oncall.config import OnCallConfig, Person, Rotation, load_oncall_config
from teams_bot.features.oncall.schedule import Cover, Shift, after, on_call
from teams_bot.features.oncall.store import OnCallStore, Override

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Duty:
    rotation: Rotation
    now: Shift | None
    next: Shift | None
    overrides: list[Override]


def config_of(services: Services) -> OnCallConfig:
    """The `[oncall]` table; a mistake in it answers the command with the key to fix."""
    try:
        return load_oncall_config(services.settings.config_file)
    except ConfigError as exc:
        raise CommandError(f"The on-call configuration has a mistake: {exc}") from None


async def duty(
    services: Services, rotation: Rotation, at: datetime, tenant_id: str | None = None
) -> Duty:
    """Who is on call at `at` and who is next, with the overrides that have not ended."""
    overrides = await OnCallStore(services.db).overrides(rotation.team, at, tenant_id)
    covers = [
        Cover(o.person, o.starts_at, o.ends_at, o.created_at or o.starts_at) for o in overrides
    ]
    current = on_call(rotation, covers, at)
    return Duty(rotation, current, after(rotation, covers, current, at), overrides)


async def oncall_for(
    services: Services, team: str, at: datetime, *, tenant_id: str | None = None
) -> Person | None:
    """The person on call for `team` at `at` (aware datetime), overrides included; None when
    the team is not configured, the `[oncall]` table is wrong (logged) or the rotation has
    not started. `tenant_id` limits the overrides to one tenant (None: any)."""
    try:
        rotation = config_of(services).teams.get(team.strip().lower())
    except CommandError as exc:  # a wrong [oncall] table must not break the caller (alerts)
        log.warning("on-call lookup for %r: %s", team, exc)
        return None
    if rotation is None:
        return None
    shift = (await duty(services, rotation, at, tenant_id)).now
    return shift.person if shift else None
