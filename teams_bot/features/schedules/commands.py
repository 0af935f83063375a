"""`schedules`: every configured schedule with its next run (in its zone and UTC) and last run."""

from __future__ import annotations

from datetime import UTC, datetime

from teams_bot.automation.errors import ConfigError
from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from teams_bot.features.schedules.config import Schedule, load_schedules
from teams_bot.features.schedules.cron import next_tick
from teams_bot.features.schedules.store import ScheduleStore

commands = CommandRegistry()


def _when(at: datetime | None, schedule: Schedule) -> str:
    if at is None:
        return "never"
    local = at.astimezone(schedule.zone)
    return f"{local:%Y-%m-%d %H:%M %Z} ({at.astimezone(UTC):%H:%M} UTC)"


@commands.command(
    "schedules", permission="schedules.read", group="Schedules", examples=["schedules"]
)
async def schedules(ctx: CommandContext) -> Reply:
    """The commands the bot runs on a schedule: when each runs next and how its last run went."""
    try:
        configured = load_schedules(ctx.services.settings.config_file)
    except ConfigError as exc:
        raise CommandError(f"The schedules configuration has a mistake: {exc}") from None
    if not configured:
        return "No schedules are configured (add `[schedules.NAME]` to the config file)."
    last = await ScheduleStore(ctx.services.db).last_runs()
    now = datetime.now(UTC)
    lines = ["**Schedules**", ""]
    for schedule in configured:
        ran = last.get(schedule.name)
        previous = f"{_when(ran[0], schedule)}: {ran[1]}" if ran else "not yet"
        lines.append(
            f"- **{schedule.name}**: `{schedule.command}` at `{schedule.cron_text}` "
            f"({schedule.zone.key}) as {schedule.run_as.name}; "
            f"next {_when(next_tick(schedule.cron, schedule.zone, now), schedule)}; "
            f"last {previous}"
        )
    return "\n".join(lines)
