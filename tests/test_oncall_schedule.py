"""On-call rotations with fixed clocks: hand-offs stay at local time across DST changes
(Europe/Berlin 2026-03-29 and 2026-10-25, America/New_York 2026-03-08 and 2026-11-01),
daily and weekly rotations, overrides, and the config's errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from teams_bot.automation.errors import ConfigError
from teams_bot.features.oncall.config import Person, Rotation, load_oncall_config, parse_oncall
from teams_bot.features.oncall.schedule import Cover, after, next_shift, on_call, shift_at

A, B, C = Person("Ann", "aad-a", "29:a"), Person("Ben", "aad-b"), Person("Cy", "aad-c")
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def rotation(zone: ZoneInfo, start: date, period: int = 1, handoff: str = "09:00") -> Rotation:
    hours, minutes = (int(x) for x in handoff.split(":"))
    return Rotation("ops", zone, time(hours, minutes), period, start, (A, B, C))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_daily_handoff_stays_at_nine_local_over_the_spring_change_in_berlin() -> None:
    r = rotation(BERLIN, date(2026, 3, 27))  # Ann 27th, Ben 28th, Cy 29th
    before = shift_at(r, utc(2026, 3, 29, 6, 59))  # 08:59 CEST
    assert before is not None and before.person == B
    assert before.starts == utc(2026, 3, 28, 8, 0)  # 09:00 CET
    assert before.ends == utc(2026, 3, 29, 7, 0)  # 09:00 CEST: a 23-hour shift
    now = shift_at(r, utc(2026, 3, 29, 7, 0))
    assert now is not None and now.person == C and now.ends == utc(2026, 3, 30, 7, 0)
    assert now.starts.astimezone(BERLIN).hour == 9


def test_daily_handoff_stays_at_nine_local_over_the_autumn_change_in_berlin() -> None:
    r = rotation(BERLIN, date(2026, 10, 24))
    first = shift_at(r, utc(2026, 10, 25, 7, 30))  # 08:30 CET, after the change
    assert first is not None and first.person == A
    assert first.starts == utc(2026, 10, 24, 7, 0)  # 09:00 CEST
    assert first.ends == utc(2026, 10, 25, 8, 0)  # 09:00 CET: a 25-hour shift
    second = shift_at(r, utc(2026, 10, 25, 8, 0))
    assert second is not None and second.person == B


def test_weekly_rotation_across_the_change_hands_off_on_the_same_weekday_and_hour() -> None:
    r = rotation(BERLIN, date(2026, 3, 23), period=7)  # Mondays
    shift = shift_at(r, utc(2026, 3, 29, 12, 0))
    assert shift is not None and shift.person == A
    assert (shift.starts, shift.ends) == (utc(2026, 3, 23, 8, 0), utc(2026, 3, 30, 7, 0))
    following = next_shift(r, utc(2026, 3, 29, 12, 0))
    assert following is not None and following.person == B
    assert following.starts.astimezone(BERLIN).strftime("%a %H:%M") == "Mon 09:00"
    assert shift_at(r, utc(2026, 4, 6, 7, 0)).person == C  # type: ignore[union-attr]
    assert shift_at(r, utc(2026, 4, 13, 7, 0)).person == A  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("day", "before_utc", "after_utc"),
    [(date(2026, 3, 8), 14, 13), (date(2026, 11, 1), 13, 14)],  # EST->EDT, EDT->EST
)
def test_us_zone_handoffs_follow_its_own_changes(
    day: date, before_utc: int, after_utc: int
) -> None:
    r = rotation(NEW_YORK, day - timedelta(days=1))
    shift = shift_at(r, datetime.combine(day, time(12), tzinfo=UTC))
    assert shift is not None and shift.person == A
    assert shift.starts.hour == before_utc and shift.ends.hour == after_utc
    assert shift.ends.astimezone(NEW_YORK).time() == time(9, 0)


def test_before_the_start_nobody_is_on_call_and_next_is_the_first_shift() -> None:
    r = rotation(BERLIN, date(2026, 12, 1))
    assert shift_at(r, utc(2026, 11, 30, 12)) is None
    assert shift_at(r, utc(2026, 12, 1, 7, 59)) is None  # before the first hand-off
    first = next_shift(r, utc(2026, 11, 30, 12))
    assert first is not None and first.person == A and first.starts == utc(2026, 12, 1, 8, 0)


def test_an_override_covers_its_time_and_the_rotation_resumes_after_it() -> None:
    r = rotation(BERLIN, date(2026, 6, 1))  # CEST: hand-off 07:00 UTC; Ann on June 1st
    cover = Cover(C, utc(2026, 6, 1, 12), utc(2026, 6, 1, 16), order=utc(2026, 6, 1, 11))
    morning = on_call(r, [cover], utc(2026, 6, 1, 10))
    assert morning is not None and morning.person == A and morning.ends == cover.starts
    covered = on_call(r, [cover], utc(2026, 6, 1, 13))
    assert covered is not None and covered.person == C and covered.override
    back = after(r, [cover], covered, utc(2026, 6, 1, 13))
    assert back is not None and back.person == A and back.starts == utc(2026, 6, 1, 7)
    assert on_call(r, [cover], utc(2026, 6, 1, 16)).person == A  # type: ignore[union-attr]


def test_the_newest_of_overlapping_overrides_wins() -> None:
    r = rotation(BERLIN, date(2026, 6, 1))
    old = Cover(B, utc(2026, 6, 1, 8), utc(2026, 6, 2, 8), order=utc(2026, 6, 1, 8))
    new = Cover(C, utc(2026, 6, 1, 9), utc(2026, 6, 1, 10), order=utc(2026, 6, 1, 9))
    assert on_call(r, [old, new], utc(2026, 6, 1, 9, 30)).person == C  # type: ignore[union-attr]
    assert on_call(r, [old, new], utc(2026, 6, 1, 10, 30)).person == B  # type: ignore[union-attr]


def _team(**extra: object) -> dict[str, object]:
    team: dict[str, object] = {
        "timezone": "Europe/Berlin",
        "handoff": "09:00",
        "rotation": "daily",
        "start": date(2026, 1, 5),
        "members": [{"name": "Ann", "aad_object_id": "aad-a", "teams_id": "29:a"}, "aad-b"],
    }
    return {**team, **extra}


def test_config_reads_members_and_bindings_by_aad_id() -> None:
    config = parse_oncall(Path("c.toml"), {"teams": {"Platform": _team()}})
    r = config.team(None)  # the only team
    assert r is not None and r.team == "platform" and r.period_days == 1
    assert r.members == (Person("Ann", "aad-a", "29:a"), Person("aad-b", "aad-b"))


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"teams": {"p": _team(timezone="Mars/Olympus")}}, "oncall.teams.p.timezone"),
        ({"teams": {"p": _team(handoff="9am")}}, "oncall.teams.p.handoff"),
        ({"teams": {"p": _team(rotation="hourly")}}, "oncall.teams.p.rotation"),
        ({"teams": {"p": _team(start="soon")}}, "oncall.teams.p.start"),
        ({"teams": {"p": _team(members=[])}}, "oncall.teams.p.members"),
        ({"teams": {"p": _team(members=[{"name": ""}])}}, "oncall.teams.p.members[0].name"),
        ({"teams": {"p": _team(color="red")}}, "oncall.teams.p.color"),
        ({"teams": {"p": _team()}, "default_team": "q"}, "oncall.default_team"),
        ({"team": {}}, "oncall.team"),
    ],
)
def test_config_mistakes_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_oncall(Path("c.toml"), data)
    assert key in str(raised.value)


def test_the_example_config_has_a_working_rotation() -> None:
    example = Path(__file__).parents[1] / "infra" / "config.example.toml"
    config = load_oncall_config(example)
    platform = config.team(None)
    assert platform is not None and platform.team == "platform" and len(platform.members) >= 2
    shift = shift_at(platform, datetime(2026, 3, 30, 7, 0, tzinfo=UTC))  # Monday 09:00 CEST
    assert shift is not None and shift.starts.astimezone(BERLIN).strftime("%a %H:%M") == "Mon 09:00"
