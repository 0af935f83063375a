"""`status [service]`: what runs where, since when, by whom, the last result, and health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cards.release import EnvironmentStatus, ServiceStatus, status_card
from teams_bot.automation.release import ServiceSpec
from teams_bot.automation.status import Health
from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.errors import CommandError
from teams_bot.features.release.commands import commands
from teams_bot.features.release.guard import describe
from teams_bot.features.release.store import Freeze, FreezeStore, ReleaseStore

if TYPE_CHECKING:
    from teams_bot.services import Services


@commands.command(
    "status", permission="status", group="Releases", examples=["status", "status web"]
)
async def status(ctx: CommandContext, service: str | None = None) -> Reply:
    """What version runs in each environment, since when and by whom, the last result, health."""
    services: Services = ctx.services
    catalog = services.automation.services
    specs = [catalog.service(service)] if service else list(catalog.services.values())
    now = datetime.now(UTC)
    freezes = await FreezeStore(services.db).active(ctx.caller.tenant_id, now)
    shown = [await _service(services, ctx.caller.tenant_id, spec, freezes) for spec in specs]
    summary = ", ".join(s.service for s in shown) or "no services"
    return CardReply(status_card(shown, now), f"Status: {summary}")


async def _service(
    services: Services, tenant: str, spec: ServiceSpec, freezes: list[Freeze]
) -> ServiceStatus:
    health, problem = await _health(services, spec)
    store = ReleaseStore(services.db)
    rows = []
    for environment in spec.environments:
        good = await store.last_good(tenant, spec.name, environment)
        latest = next(iter(await store.history(tenant, spec.name, environment, 1)), None)
        report = health.get(environment.lower())
        rows.append(
            EnvironmentStatus(
                environment=environment,
                version=good.version if good else "",
                since=good.finished_at if good else None,
                by=good.requested_by_name if good else "",
                last_result=f"{latest.kind} {latest.version} {latest.state}" if latest else "",
                healthy=report.healthy if report else None,
                health_detail=(report.detail or report.version) if report else "",
            )
        )
    frozen = next((describe(f) for f in freezes), "")
    return ServiceStatus(spec.name, rows, frozen=frozen, health_error=problem)


async def _health(services: Services, spec: ServiceSpec) -> tuple[dict[str, Health], str]:
    if spec.status is None:
        return {}, ""
    try:
        found = await services.automation.status_source(spec.name).health(spec.name)
    except CommandError as exc:
        return {}, str(exc)
    return {h.environment.lower(): h for h in found}, ""
