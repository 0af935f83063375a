"""The cron parser, ticks in a zone across DST changes (fixed clocks), the due-tick rule (grace)
and the `[schedules.NAME]` config's errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from teams_bot.automation.errors import ConfigError
from teams_bot.features.schedules.config import RunAs, Schedule, load_schedules, parse_schedules
from teams_bot.features.schedules.cron import CronError, next_tick, parse_cron, previous_tick
from teams_bot.features.schedules.runner import due_tick

BERLIN = ZoneInfo("Europe/Berlin")


def test_fields_ranges_steps_lists_and_names() -> None:
    cron = parse_cron("*/15 9-17/4 1,15 jan-mar mon-fri")
    assert cron.minutes == {0, 15, 30, 45}
    assert cron.hours == {9, 13, 17}
    assert cron.days == {1, 15} and cron.months == {1, 2, 3}
    assert cron.weekdays == {1, 2, 3, 4, 5}
    assert parse_cron("0 0 * * 7").weekdays == {0}  # 7 is Sunday too
    assert parse_cron("5/20 * * * *").minutes == {5, 25, 45}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0 9 * *", "5 fields"),
        ("60 9 * * *", "minute"),
        ("0 24 * * *", "hour"),
        ("0 9 0 * *", "day of month"),
        ("0 9 * 13 *", "month"),
        ("0 9 * * 8", "day of week"),
        ("0 9 * * fri-mon", "backwards"),
        ("*/0 9 * * *", "step"),
        ("x 9 * * *", "not a number"),
    ],
)
def test_bad_expressions_say_which_field(text: str, problem: str) -> None:
    with pytest.raises(CronError, match=problem):
        parse_cron(text)


def test_day_fields_match_either_when_both_are_restricted() -> None:
    cron = parse_cron("0 9 1 * mon")
    assert cron.matches_day(date(2026, 6, 1))  # the 1st
    assert cron.matches_day(date(2026, 6, 8))  # a Monday
    assert not cron.matches_day(date(2026, 6, 9))
    weekdays = parse_cron("0 9 * * 1-5")
    assert not weekdays.matches_day(date(2026, 11, 29))  # Sunday


def test_next_and_previous_ticks_in_the_zone() -> None:
    cron = parse_cron("0 9 * * 1-5")
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert next_tick(cron, BERLIN, friday) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert previous_tick(cron, BERLIN, friday) == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    leap = parse_cron("0 0 29 2 *")
    assert next_tick(leap, UTC, friday) == datetime(2028, 2, 29, tzinfo=UTC)


def _ticks_by_scanning(start: datetime, days: int, schedule: Schedule) -> list[datetime]:
    """Scan every minute like the replicas do; each due tick is claimed once."""
    claimed: set[datetime] = set()
    now = start
    while now < start + timedelta(days=days):
        tick = due_tick(schedule, now)
        if tick is not None:
            claimed.add(tick)
        now += timedelta(minutes=1)
    return sorted(claimed)


@pytest.mark.parametrize("change", [date(2026, 3, 29), date(2026, 10, 25)])
def test_nine_in_berlin_runs_once_a_day_at_nine_local_across_dst(change: date) -> None:
    schedule = _schedule("0 9 * * *")
    start = datetime(change.year, change.month, change.day, tzinfo=UTC) - timedelta(days=2)
    ticks = _ticks_by_scanning(start, 5, schedule)
    local = [t.astimezone(BERLIN) for t in ticks]
    assert [t.date() for t in local] == [change + timedelta(days=d) for d in range(-2, 3)]
    assert all((t.hour, t.minute) == (9, 0) for t in local)
    offsets = {t.utcoffset() for t in local}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}  # both sides of the change


def test_skipped_and_repeated_local_hours() -> None:
    half_past_two = parse_cron("30 2 * * *")
    spring = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert previous_tick(half_past_two, BERLIN, spring) == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)
    autumn = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)  # 02:30 happens twice: runs once
    assert previous_tick(half_past_two, BERLIN, autumn) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    ticks = _ticks_by_scanning(datetime(2026, 10, 24, 12, tzinfo=UTC), 1, _schedule("30 2 * * *"))
    assert ticks == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]


def test_a_missed_tick_runs_within_grace_and_is_skipped_after() -> None:
    schedule = _schedule("0 9 * * *", grace=timedelta(minutes=15))
    tick = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert due_tick(schedule, tick) == tick
    assert due_tick(schedule, tick + timedelta(minutes=14)) == tick
    assert due_tick(schedule, tick + timedelta(minutes=15)) is None
    assert due_tick(schedule, tick - timedelta(seconds=1)) is None


def _schedule(cron: str, grace: timedelta = timedelta(minutes=15)) -> Schedule:
    return Schedule("s", cron, parse_cron(cron), BERLIN, "c", "status", RunAs("r", "a"), grace)


GOOD = {
    "cron": "0 9 * * 1-5",
    "timezone": "Europe/Berlin",
    "conversation": "19:abc@thread.tacv2",
    "command": "status",
    "run_as": {"name": "Ops Robot", "aad_object_id": "a-1", "tenant_id": "t-1"},
    "grace": "2h",
}


def test_a_good_entry_loads() -> None:
    [loaded] = parse_schedules(Path("c.toml"), {"daily": GOOD})
    assert loaded.name == "daily" and loaded.zone.key == "Europe/Berlin"
    assert loaded.grace == timedelta(hours=2) and loaded.run_as == RunAs("Ops Robot", "a-1", "t-1")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"cron": "0 9 * *"}, "schedules.daily.cron"),
        ({"timezone": "Mars/Olympus"}, "schedules.daily.timezone"),
        ({"conversation": ""}, "schedules.daily.conversation"),
        ({"command": 3}, "schedules.daily.command"),
        ({"run_as": "robot"}, "schedules.daily.run_as"),
        ({"run_as": {"name": "R"}}, "schedules.daily.run_as.aad_object_id"),
        (
            {"run_as": {"name": "R", "aad_object_id": "a", "role": "x"}},
            "schedules.daily.run_as.role",
        ),
        ({"grace": "soon"}, "schedules.daily.grace"),
        ({"grace": "0m"}, "schedules.daily.grace"),
        ({"every": "day"}, "schedules.daily.every"),
    ],
)
def test_mistakes_name_the_key(change: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_schedules(Path("c.toml"), {"daily": {**GOOD, **change}})
    assert caught.value.key == key


def test_bad_names_and_shapes() -> None:
    with pytest.raises(ConfigError, match=r"schedules\.Bad Name"):
        parse_schedules(Path("c.toml"), {"Bad Name": GOOD})
    with pytest.raises(ConfigError, match="schedules"):
        parse_schedules(Path("c.toml"), ["x"])


def test_the_example_config_schedule_loads_when_uncommented(tmp_path: Path) -> None:
    example = Path(__file__).parents[1] / "infra" / "config.example.toml"
    lines = example.read_text(encoding="utf-8").splitlines()
    start = lines.index("# [schedules.morning-status]")
    block = [line.removeprefix("# ") for line in lines[start:] if line.startswith("# ")]
    uncommented = tmp_path / "config.toml"
    uncommented.write_text("\n".join(block[:7]), encoding="utf-8")
    [loaded] = load_schedules(uncommented)
    assert loaded.name == "morning-status" and loaded.command == "status"
    assert load_schedules(example) == []  # commented out: nothing runs out of the box
