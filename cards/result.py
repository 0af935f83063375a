"""The command-result card: status, command, who and when, duration, output tail, details."""

from __future__ import annotations

from collections.abc import Sequence

from cards.common import (
    Card,
    Element,
    adaptive_card,
    fact_set,
    footer,
    monospace_block,
    open_url_action,
    text_block,
    with_refresh,
)
from cards.models import CommandResult, CommandStatus
from cards.size import fit_card
from cards.text import fmt_duration, fmt_time, one_line, tail_lines, truncate

TAIL_MAX_LINES = 30
TAIL_MAX_CHARS = 6_000
TAIL_LINE_LIMIT = 300
COMMAND_LIMIT = 300

# status -> (label, TextBlock color)
_STATUS: dict[CommandStatus, tuple[str, str]] = {
    "running": ("⏳ Running", "accent"),
    "succeeded": ("✅ Succeeded", "good"),
    "failed": ("❌ Failed", "attention"),
    "timed_out": ("⏱️ Timed out", "warning"),
}


def command_result_card(
    result: CommandResult,
    *,
    refresh_verb: str | None = None,
    refresh_user_ids: Sequence[str] = (),
    refresh_action_id: str | None = None,
) -> Card:
    """The card that tracks one command run, updated in place until it finishes."""
    label, color = _STATUS[result.status]
    body: list[Element] = [
        text_block(label, heading=True, size="large", weight="bolder", color=color),
        text_block(f"$ {result.command}", limit=COMMAND_LIMIT, monospace=True,
                   weight="bolder", spacing="small"),
        fact_set(_facts(result)),
        *_output(result.output_tail),
        footer(_footer_text(result)),
    ]
    details = open_url_action("Details", result.details_url)
    card = adaptive_card(body, [details] if details else [],
                         fallback_text=f"{label}: {truncate(one_line(result.command), 100)}")
    return fit_card(with_refresh(card, refresh_verb, refresh_user_ids, refresh_action_id))


def _facts(result: CommandResult) -> list[tuple[str, str]]:
    finished = result.finished_at
    return [
        ("Requested by", result.requested_by),
        ("Started", fmt_time(result.started_at)),
        ("Finished", fmt_time(finished) if finished else ""),
        ("Duration", fmt_duration(finished - result.started_at) if finished else ""),
        ("Exit code", "" if result.exit_code is None else str(result.exit_code)),
        ("Job", result.job_id or ""),
    ]


def _output(output: str) -> list[Element]:
    lines, cut = tail_lines(output, TAIL_MAX_LINES, TAIL_MAX_CHARS, TAIL_LINE_LIMIT)
    if not lines:
        return [text_block("No output.", size="small", subtle=True)]
    title = f"Output (last {len(lines)} lines)" if cut else "Output"
    return [
        text_block(title, size="small", weight="bolder", spacing="medium"),
        monospace_block(lines, note="… earlier output left out" if cut else None),
    ]


def _footer_text(result: CommandResult) -> str:
    who = truncate(one_line(result.requested_by), 80)
    if result.finished_at is None:
        return f"Run by {who} · started {fmt_time(result.started_at)}"
    verb = {"succeeded": "succeeded", "failed": "failed", "timed_out": "timed out"}.get(
        result.status, "finished")
    return f"Run by {who} · {verb} at {fmt_time(result.finished_at)}"
