"""Five-field cron expressions (minute hour day-of-month month day-of-week) in a time zone.

Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, and English
names for months and days (`jan`, `mon-fri`). Day of week 0 and 7 are Sunday. When both day
fields are restricted a day matches either (as in classic cron). Local times that a DST change
skips do not occur; a repeated local hour runs once (its first occurrence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_DAYS = "sun mon tue wed thu fri sat".split()
MAX_DAYS = 366 * 8  # how far to look for a tick (29 February on a Monday is rare)


class CronError(ValueError):
    """A cron expression that cannot be read; the message says which part."""


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 Sunday .. 6 Saturday
    any_day: bool  # day of month is `*`
    any_weekday: bool  # day of week is `*`

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def times(self) -> list[time]:
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]


def parse_cron(text: str) -> Cron:
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"needs 5 fields (minute hour day month weekday), got {len(parts)}")
    minute, hour, day, month, weekday = parts
    weekdays = frozenset(d % 7 for d in _field(weekday, 0, 7, "day of week", _DAYS))
    return Cron(
        _field(minute, 0, 59, "minute"),
        _field(hour, 0, 23, "hour"),
        _field(day, 1, 31, "day of month"),
        _field(month, 1, 12, "month", _MONTHS, 1),
        weekdays,
        day == "*",
        weekday == "*",
    )


def _field(
    text: str, low: int, high: int, what: str, names: list[str] | None = None, base: int = 0
) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values.update(_item(item, low, high, what, names, base))
    return frozenset(values)


def _item(item: str, low: int, high: int, what: str, names: list[str] | None, base: int) -> range:
    span, _, step_text = item.partition("/")
    step = _number(step_text, what, None, 0) if step_text else 1
    if step < 1:
        raise CronError(f"{what}: step must be at least 1 in {item!r}")
    if span == "*":
        start, end = low, high
    else:
        first, _, last = span.partition("-")
        start = _number(first, what, names, base)
        end = _number(last, what, names, base) if last else (high if step_text else start)
    if not low <= start <= end <= high:
        raise CronError(f"{what}: {item!r} is outside {low}-{high} or backwards")
    return range(start, end + 1, step)


def _number(text: str, what: str, names: list[str] | None, base: int) -> int:
    lowered = text.strip().lower()
    if names and lowered in names:
        return names.index(lowered) + base
    if not lowered.isdigit():
        raise CronError(f"{what}: {text!r} is not a number")
    return int(lowered)


def _at(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of local `day` `at`, or None when a DST change skips that local time."""
    local = datetime.combine(day, at, zone)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local.astimezone(UTC)


def previous_tick(cron: Cron, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The latest tick at or before `now` (UTC), or None within MAX_DAYS."""
    day = now.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        if cron.matches_day(day):
            for at in reversed(cron.times()):
                tick = _at(day, at, zone)
                if tick is not None and tick <= now:
                    return tick
        day -= timedelta(days=1)
    return None


def next_tick(cron: Cron, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The first tick strictly after `now` (UTC), or None within MAX_DAYS."""
    day = now.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        if cron.matches_day(day):
            for at in cron.times():
                tick = _at(day, at, zone)
                if tick is not None and tick > now:
                    return tick
        day += timedelta(days=1)
    return None
