"""Runbook cards: a Markdown runbook rendered (headings, lists, code blocks; paged), the list of
runbooks, and an executable runbook's run (each step's state, output tail and duration).

Nothing in a runbook file is trusted as card markup: every piece is shown literally (escaped).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cards.common import (
    Card,
    Element,
    action_set,
    adaptive_card,
    execute_action,
    footer,
    monospace_block,
    text_block,
)
from cards.text import fmt_time, one_line, strip_controls, tail_lines, truncate

VERB_PAGE = "runbook.page"
VERB_CONTINUE = "runbook.continue"
VERB_STOP = "runbook.stop"
PAGE_CHARS = 6000  # a page's budget of runbook text (Teams cards stay well under 28 KB)
PAGE_BLOCKS = 60
CODE_LINES = 40  # a code block's lines on one page
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)([-*+]|\d{1,3}[.)])\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SIZES = {1: "large", 2: "medium", 3: "default"}


@dataclass(frozen=True)
class Block:
    kind: str  # heading | para | item | code
    text: str = ""
    level: int = 0  # heading level, or list nesting depth
    marker: str = ""  # "•" or "1." for list items
    lines: tuple[str, ...] = ()  # code lines


def parse_markdown(text: str) -> list[Block]:
    """The blocks of a runbook: headings, paragraphs, list items and fenced code blocks."""
    blocks: list[Block] = []
    para: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if para:
            blocks.append(Block("para", " ".join(p.strip() for p in para)))
            para.clear()

    for line in strip_controls(text).split("\n"):  # also no control or bidi characters
        if code is not None:
            if _FENCE.match(line):
                blocks.append(Block("code", lines=tuple(code)))
                code = None
            else:
                code.append(line)
            continue
        if _FENCE.match(line):
            flush()
            code = []
        elif not line.strip():
            flush()
        elif heading := _HEADING.match(line):
            flush()
            blocks.append(Block("heading", heading.group(2), level=len(heading.group(1))))
        elif item := _ITEM.match(line):
            flush()
            marker = "•" if item.group(2) in "-*+" else item.group(2)
            depth = min(len(item.group(1)) // 2, 4)
            blocks.append(Block("item", item.group(3), level=depth, marker=marker))
        elif line[:1].isspace() and not para and blocks and blocks[-1].kind == "item":
            last = blocks[-1]  # a list item's continuation line
            blocks[-1] = Block("item", f"{last.text} {line.strip()}", last.level, last.marker)
        else:
            para.append(line)
    flush()
    if code is not None:  # an unclosed fence: keep what it held
        blocks.append(Block("code", lines=tuple(code)))
    return blocks


def _split_code(block: Block) -> list[Block]:
    if block.kind != "code" or len(block.lines) <= CODE_LINES:
        return [block]
    chunks = range(0, len(block.lines), CODE_LINES)
    return [Block("code", lines=block.lines[i : i + CODE_LINES]) for i in chunks]


def _size(block: Block) -> int:
    return len(block.text) + sum(len(line) + 1 for line in block.lines) + 40


def pages(blocks: Sequence[Block]) -> list[list[Block]]:
    """Blocks split into pages, each within PAGE_CHARS and PAGE_BLOCKS (at least one page)."""
    result: list[list[Block]] = [[]]
    used = 0
    for block in (part for b in blocks for part in _split_code(b)):
        size = _size(block)
        page = result[-1]
        if page and (used + size > PAGE_CHARS or len(page) >= PAGE_BLOCKS):
            result.append([])
            used = 0
        result[-1].append(block)
        used += size
    return result


def _element(block: Block) -> Element:
    if block.kind == "heading":
        size = _SIZES.get(block.level, "default")
        return text_block(block.text, size=size, weight="bolder", heading=True, spacing="medium")
    if block.kind == "item":
        indent = "\u00a0" * (3 * block.level)
        return text_block(f"{indent}{block.marker} {block.text}", limit=1000, spacing="none")
    if block.kind == "code":
        lines = [truncate(line, 200) for line in block.lines]
        return monospace_block(lines)
    return text_block(block.text, limit=2000, spacing="small")


def runbook_doc_card(
    name: str,
    title: str,
    blocks: Sequence[Block],
    *,
    page: int,
    page_count: int,
    previous: str | None = None,
    next_page: str | None = None,
    runnable: bool = False,
) -> Card:
    """One page of a Markdown runbook; Previous/Next buttons carry signed page tokens."""
    body: list[Element] = [text_block(f"📘 {title}", size="large", weight="bolder")]
    body.extend(_element(b) for b in blocks)
    if not blocks:
        body.append(text_block("This runbook is empty.", subtle=True))
    hint = f" · run it: runbook run {one_line(name)}" if runnable else ""
    body.append(
        footer(f"Runbook {truncate(one_line(name), 60)} · page {page + 1} of {page_count}{hint}")
    )
    buttons = []
    if previous:
        buttons.append(execute_action("◀ Previous", VERB_PAGE, previous))
    if next_page:
        buttons.append(execute_action("Next ▶", VERB_PAGE, next_page))
    if buttons:
        body.append(action_set(buttons))
    return adaptive_card(body, fallback_text=f"Runbook {title}")


@dataclass(frozen=True)
class Listed:
    name: str
    title: str
    steps: int = 0  # executable runbooks: how many steps (0: a document only)
    document: bool = True


def runbook_list_card(found: Sequence[Listed]) -> Card:
    body: list[Element] = [text_block("Runbooks", size="medium", weight="bolder")]
    if not found:
        body.append(text_block("No runbooks are configured.", subtle=True))
    for item in found[:100]:
        kinds = []
        if item.document:
            kinds.append(f"runbook {item.name}")
        if item.steps:
            kinds.append(f"runbook run {item.name} ({item.steps} steps)")
        line = f"{truncate(one_line(item.title), 80)} — {' · '.join(kinds)}"
        body.append(text_block(line, spacing="small"))
    if len(found) > 100:
        body.append(text_block(f"… and {len(found) - 100} more", subtle=True))
    return adaptive_card(body, fallback_text=f"{len(found)} runbook(s)")


@dataclass(frozen=True)
class StepView:
    name: str
    action: str
    pause: bool
    state: str  # waiting | paused | running | succeeded | failed | skipped
    tail: str = ""
    duration: str = ""  # seconds, when it ended
    detail: str = ""


_STATES = {
    "waiting": ("○ waiting", None),
    "paused": ("⏸ waits for Continue", "warning"),
    "running": ("⏳ running", "accent"),
    "succeeded": ("✔ succeeded", "good"),
    "failed": ("✖ failed", "attention"),
    "skipped": ("- not run", None),
}
_HEADLINES = {
    "running": "running",
    "paused": "paused: press Continue to go on",
    "done": "✔ done",
    "failed": "✖ failed",
    "stopped": "■ stopped",
    "stopping": "■ stopping after the current step",
}


def runbook_run_card(
    title: str,
    steps: Sequence[StepView],
    *,
    state: str,
    requested_by: str,
    at: datetime,
    continue_id: str | None = None,
    stop_id: str | None = None,
    note: str = "",
) -> Card:
    """A runbook's run on one card: every step's state, its output tail and duration."""
    headline = _HEADLINES.get(state, state)
    body: list[Element] = [
        text_block(
            f"Runbook {truncate(one_line(title), 80)}: {headline}", size="medium", weight="bolder"
        ),
    ]
    for number, step in enumerate(steps, 1):
        body.extend(_step(number, step))
    if note:
        body.append(text_block(note, subtle=True))
    buttons = []
    if continue_id and state == "paused":
        buttons.append(execute_action("Continue", VERB_CONTINUE, continue_id, style="positive"))
    if stop_id and state in ("running", "paused"):
        buttons.append(execute_action("Stop", VERB_STOP, stop_id, style="destructive"))
    if buttons:
        body.append(action_set(buttons))
    body.append(footer(f"Started by {truncate(one_line(requested_by), 80)} · {fmt_time(at)}"))
    return adaptive_card(body, fallback_text=f"Runbook {title}: {headline}")


def _step(number: int, step: StepView) -> list[Element]:
    words, color = _STATES.get(step.state, (step.state, None))
    took = f" in {step.duration}s" if step.duration else ""
    line = (
        f"{number}. {truncate(one_line(step.name), 100)} ({one_line(step.action)}): {words}{took}"
    )
    out: list[Element] = [text_block(line, color=color, spacing="small", weight="bolder")]
    if step.detail and step.state == "failed":
        out.append(text_block(step.detail, limit=200, color="attention", spacing="none"))
    if step.tail.strip():
        lines, cut = tail_lines(step.tail, 8, 1200, 160)
        out.append(monospace_block(lines, note="… last lines of output" if cut else None))
    return out
