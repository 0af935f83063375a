"""Who is on call at an instant: the rotation (pure, DST-correct) and dated overrides.

A hand-off happens at the team's local hand-off time on its local calendar, so 09:00 in
Europe/Berlin stays 09:00 there across DST changes (the UTC instant moves by an hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from teams_bot.features.oncall.config import Person, Rotation


@dataclass(frozen=True)
class Shift:
    person: Person
    starts: datetime  # UTC
    ends: datetime  # UTC: the next hand-off
    override: bool = False


def handoff_at(rotation: Rotation, day: date) -> datetime:
    """The UTC instant of the hand-off on this local calendar day."""
    local = datetime.combine(day, rotation.handoff, tzinfo=rotation.zone)
    return local.astimezone(UTC)


def shift_at(rotation: Rotation, at: datetime) -> Shift | None:
    """The rotation's shift at `at` (aware), or None before the rotation starts."""
    day = at.astimezone(rotation.zone).date()
    if at < handoff_at(rotation, day):
        day -= timedelta(days=1)  # before today's hand-off: yesterday's shift still runs
    days = (day - rotation.start).days
    if days < 0:
        return None
    number = days // rotation.period_days
    first = rotation.start + timedelta(days=number * rotation.period_days)
    person = rotation.members[number % len(rotation.members)]
    last = first + timedelta(days=rotation.period_days)
    return Shift(person, handoff_at(rotation, first), handoff_at(rotation, last))


def next_shift(rotation: Rotation, at: datetime) -> Shift | None:
    """The rotation's shift after the one running at `at` (the first one before the start)."""
    current = shift_at(rotation, at)
    if current is not None:
        return shift_at(rotation, current.ends)
    return shift_at(rotation, handoff_at(rotation, rotation.start))


@dataclass(frozen=True)
class Cover:
    """A dated override as the schedule sees it."""

    person: Person
    starts: datetime
    ends: datetime
    order: datetime  # when it was set: the newest wins where overrides overlap


def on_call(rotation: Rotation, covers: list[Cover], at: datetime) -> Shift | None:
    """Who is on call at `at`: the newest override covering it, else the rotation's shift
    (cut short where an override starts)."""
    active = [c for c in covers if c.starts <= at < c.ends]
    if active:
        cover = max(active, key=lambda c: c.order)
        return Shift(cover.person, cover.starts, cover.ends, override=True)
    shift = shift_at(rotation, at)
    if shift is None:
        return None
    cut = min((c.starts for c in covers if at < c.starts < shift.ends), default=shift.ends)
    return Shift(shift.person, shift.starts, cut)


def after(
    rotation: Rotation, covers: list[Cover], current: Shift | None, at: datetime
) -> Shift | None:
    """Who takes over from `current` (the first shift when nothing runs at `at`)."""
    if current is None:
        first = next_shift(rotation, at)
        return on_call(rotation, covers, first.starts) if first else None
    return on_call(rotation, covers, current.ends)
