"""Making untrusted text safe and short for Adaptive Card TextBlocks, and formatting times.

TextBlocks interpret a markdown subset (emphasis, links, lists) and DATE/TIME functions, so
every string is cleaned (control and bidi characters removed), cut to a limit, then escaped
with CommonMark backslash escapes so that it is shown literally.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

ELLIPSIS = "…"
NEWLINE_MARK = "↵"  # shows that a single-line value (a node name) contained a line break
NBSP = "\u00a0"

# C0/C1 controls except \t and \n, plus bidi overrides/isolates and BOM (spoofing).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Characters that start inline markdown, HTML, entities or {{DATE()}} functions.
_MD_INLINE = re.compile(r"([\\`*_~\[\]<>&{}|!#])")
# Line starts that would make a heading, list item or setext underline.
_MD_LINE_START = re.compile(r"^(\s*)(\d+)([.)])|^(\s*)([-+=])", re.MULTILINE)
_SPACES = re.compile(r"\s+")


def strip_controls(text: str) -> str:
    """Normalise line ends, turn tabs into spaces, drop control and bidi characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROLS.sub("", text)


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def escape_markdown(text: str) -> str:
    """Backslash-escape everything a TextBlock could interpret, so it renders literally."""
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(2) is not None:  # "1." or "1)" ordered list marker
        return f"{match.group(1)}{match.group(2)}\\{match.group(3)}"
    return f"{match.group(4)}\\{match.group(5)}"


def one_line(text: str) -> str:
    """Single-line value (an identifier): keep it visible that it had line breaks."""
    return strip_controls(text).strip("\n").replace("\n", NEWLINE_MARK)


def prose(text: str) -> str:
    """Free text (an error message): collapse all whitespace to single spaces."""
    return _SPACES.sub(" ", strip_controls(text)).strip()


def safe(text: str, limit: int) -> str:
    """One-line untrusted text, cut and escaped for a TextBlock or Fact."""
    return escape_markdown(truncate(one_line(text), limit))


def safe_prose(text: str, limit: int) -> str:
    """Untrusted free text, whitespace collapsed, cut and escaped."""
    return escape_markdown(truncate(prose(text), limit))


def plain_title(text: str, limit: int = 60) -> str:
    """Button titles are not markdown: clean and cut only (escaping would show backslashes)."""
    return truncate(prose(text), limit)


def tail_lines(
    text: str, max_lines: int, max_chars: int, line_limit: int
) -> tuple[list[str], bool]:
    """The last lines of command output, cleaned; also whether anything was left out.

    A carriage return inside a line (progress bars) keeps only what was drawn last.
    """
    raw = text.replace("\r\n", "\n").rstrip("\n")
    lines = [_last_redraw(line) for line in raw.split("\n")] if raw else []
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        line = truncate(strip_controls(line).rstrip(), line_limit)
        if len(kept) >= max_lines or used + len(line) > max_chars:
            break
        kept.append(line)
        used += len(line) + 1
    kept.reverse()
    return kept, len(kept) < len(lines)


def _last_redraw(line: str) -> str:
    parts = [part for part in line.split("\r") if part]
    return parts[-1] if parts else ""


def monospace_line(line: str) -> str:
    """Escape a line of output and keep its indentation and runs of spaces visible."""
    body = line.lstrip(" ")
    indent = NBSP * (len(line) - len(body))
    body = re.sub(r"(?<= ) ", NBSP, body)
    return escape_markdown(indent + body) or NBSP


def as_utc(moment: datetime) -> datetime:
    """Aware datetimes converted to UTC; naive ones are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def fmt_time(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def fmt_clock(moment: datetime) -> str:
    return as_utc(moment).strftime("%H:%M UTC")


def fmt_duration(span: timedelta) -> str:
    """`42s`, `3m 05s`, `35m`, `2h 01m`, `3d 4h`; negative spans count as zero."""
    seconds = max(int(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"
