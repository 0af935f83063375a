"""Durations as people type them in chat: `30s`, `30m`, `2h`, `1d`, `1h30m`, `1.5h`, `90`.

A bare number means minutes (`freeze on 90`). Units are s, m, h, d and w, case-insensitive,
also spelled out (`2hours`, `"1 hour 30 min"` when quoted); parts are summed (`1d2h`). The
result is rounded to whole seconds and must be longer than zero and at most `MAX_DURATION`
(30 days).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

MAX_DURATION = timedelta(days=30)

_UNITS: dict[str, int] = {}
for _seconds, _spellings in (
    (1, ("s", "sec", "secs", "second", "seconds")),
    (60, ("m", "min", "mins", "minute", "minutes")),
    (3600, ("h", "hr", "hrs", "hour", "hours")),
    (86400, ("d", "day", "days")),
    (604800, ("w", "wk", "wks", "week", "weeks")),
):
    _UNITS.update(dict.fromkeys(_spellings, _seconds))

_NUMBER = r"(\d{1,12}(?:\.\d{1,9})?|\.\d{1,9})"
_PART = re.compile(_NUMBER + r"\s*([a-z]+)\s*")
_BARE = re.compile(r"\s*" + _NUMBER + r"\s*")
_FORMAT_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))

HINT = "must be a duration like 30m, 2h, 1d or 1h30m (a bare number means minutes)"


class DurationError(ValueError):
    """The text is not an acceptable duration; `reason` completes "'<name>' ..."."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def parse_duration(text: str, *, maximum: timedelta = MAX_DURATION) -> timedelta:
    """Parse a chat duration; raise DurationError with a readable reason."""
    body = text.strip().lower()
    negative = body.startswith("-")
    seconds = _total_seconds(body[1:] if negative else body)
    if negative or seconds <= 0:
        raise DurationError("must be longer than zero")
    if seconds > maximum.total_seconds():
        raise DurationError(f"must be at most {format_duration(maximum)}")
    return timedelta(seconds=seconds)


def _total_seconds(body: str) -> int:
    bare = _BARE.fullmatch(body)
    if bare:
        return _rounded(float(bare.group(1)) * 60)
    total, pos = 0.0, 0
    for match in _PART.finditer(body):
        unit = _UNITS.get(match.group(2))
        if match.start() != pos or unit is None:
            raise DurationError(HINT)
        total += float(match.group(1)) * unit
        pos = match.end()
    if pos == 0 or pos != len(body):
        raise DurationError(HINT)
    return _rounded(total)


def _rounded(seconds: float) -> int:
    # Inputs are bounded by the regex (12 digits), so this stays finite and exact enough.
    return math.floor(seconds + 0.5)


def format_duration(value: timedelta) -> str:
    """The shortest canonical spelling, e.g. `1h30m`; parse_duration reads it back."""
    seconds = round(value.total_seconds())
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts: list[str] = []
    for suffix, size in _FORMAT_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{suffix}")
    return sign + "".join(parts)
