"""The scan: every few seconds on every replica, find each schedule's due tick, claim it once
across replicas and run its command as the configured identity through the normal dispatcher
(gate, policy, audit), posting the reply into the configured conversation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from teams_bot.automation.errors import ConfigError
from teams_bot.commands.context import CardReply, Reply
from teams_bot.dispatch import Dispatcher, NeedsApproval, Request
from teams_bot.features.schedules.config import Schedule, load_schedules
from teams_bot.features.schedules.cron import previous_tick
from teams_bot.features.schedules.store import ScheduleStore
from teams_bot.identity import Caller, Where
from teams_bot.logs import new_correlation_id

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)


def due_tick(schedule: Schedule, now: datetime) -> datetime | None:
    """The tick to run at `now`: the latest one, if it is younger than the schedule's grace
    (so a tick missed while the bot was down runs once on start; older ones are skipped)."""
    tick = previous_tick(schedule.cron, schedule.zone, now)
    if tick is None or now - tick >= schedule.grace:
        return None
    return tick


def schedules_of(services: Services) -> list[Schedule]:
    try:
        return load_schedules(services.settings.config_file)
    except ConfigError:
        log.exception("the [schedules] configuration has a mistake; no schedule runs")
        return []


async def run_due(services: Services, now: datetime | None = None) -> list[str]:
    """Run every due, unclaimed tick; the names of the schedules this replica ran."""
    now = now or datetime.now(UTC)
    store = ScheduleStore(services.db)
    ran: list[str] = []
    for schedule in schedules_of(services):
        tick = due_tick(schedule, now)
        if tick is None:
            continue
        ref = new_correlation_id()
        if not await store.claim(schedule.name, tick, now, ref):
            continue
        outcome, detail = await _run(services, schedule, ref)
        await store.finish(schedule.name, tick, outcome, detail)
        ran.append(schedule.name)
    return ran


async def scan_schedules(services: Services) -> list[str]:
    return await run_due(services)


async def _run(services: Services, schedule: Schedule, ref: str) -> tuple[str, str]:
    known = await services.conversations.get(schedule.conversation)
    if known is None:
        log.warning("schedule %s: the bot does not know its conversation", schedule.name)
        return "error", "unknown conversation"
    tenant = schedule.run_as.tenant_id or known.tenant_id
    caller = Caller(schedule.run_as.aad_object_id, tenant, schedule.run_as.name)
    where = Where(
        known.conversation_id,
        known.conversation_type,
        known.tenant_id,
        known.team_id,
        known.channel_id,
        known.service_url,
    )

    async def late_reply(reply: Reply) -> None:
        await _post(services, schedule, reply)

    try:
        answer = await Dispatcher.of(services).handle(
            Request(schedule.command, caller, where, ref, {}), late_reply
        )
        if isinstance(answer, NeedsApproval):
            answer = f"Scheduled '{schedule.command}' needs approval; schedules do not ask for it."
        await _post(services, schedule, answer)
    except Exception:
        log.exception("schedule %s failed (reference %s)", schedule.name, ref)
        return "error", f"failed (reference {ref})"
    return "ok", answer if isinstance(answer, str) else answer.summary


async def _post(services: Services, schedule: Schedule, reply: Reply) -> None:
    if isinstance(reply, str):
        reply = f"⏰ **{schedule.name}** ({schedule.command}):\n\n{reply}"
    message_id = await services.messenger.post(schedule.conversation, reply)
    if isinstance(reply, CardReply) and reply.on_posted is not None:
        await reply.on_posted(message_id)
