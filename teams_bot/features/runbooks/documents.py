"""Markdown runbooks: the list, and one runbook rendered as a card page by page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cards.runbook import Listed, pages, parse_markdown, runbook_doc_card
from teams_bot.errors import CommandError
from teams_bot.features.runbooks.config import NAME, RunbooksConfig, load_runbooks_config

if TYPE_CHECKING:
    from teams_bot.services import Services

PAGE_PREFIX = "rbpage_"
_PAGE_ID = re.compile(rf"{PAGE_PREFIX}(\d{{1,4}})_({NAME.pattern})")
MAX_BYTES = 512 * 1024


def config(services: Services) -> RunbooksConfig:
    return load_runbooks_config(services.settings.config_file)


def listed(found: RunbooksConfig) -> list[Listed]:
    docs = found.documents()
    runs = {r.name: r for r in found.runs}
    result = []
    for name in sorted({*docs, *runs}):
        title = _title(read(docs[name])) if name in docs else ""
        steps = len(runs[name].steps) if name in runs else 0
        title = title or (runs[name].title if name in runs else name)
        result.append(Listed(name, title, steps, name in docs))
    return result


def read(path: Path) -> str:
    with path.open("rb") as file:
        return file.read(MAX_BYTES).decode("utf-8", errors="replace")


def _title(text: str) -> str:
    for block in parse_markdown(text[:20000]):
        if block.kind == "heading":
            return block.text
    return ""


def page_id(name: str, number: int) -> str:
    return f"{PAGE_PREFIX}{number}_{name}"


def read_page_id(value: str) -> tuple[str, int] | None:
    found = _PAGE_ID.fullmatch(value)
    return (found.group(2), int(found.group(1))) if found else None


def doc_card(services: Services, name: str, number: int = 0) -> dict[str, Any]:
    """Page `number` of runbook `name` (an executable runbook without a file shows its steps)."""
    found = config(services)
    docs, run = found.documents(), found.run(name)
    if name in docs:
        raw = read(docs[name])
    elif run is not None:
        raw = f"# {run.title}\n\n" + "\n".join(
            f"{i}. {s.name} ({s.action}){' — waits for Continue' if s.pause else ''}"
            for i, s in enumerate(run.steps, 1)
        )
    else:
        known = ", ".join(sorted({*docs, *(r.name for r in found.runs)})) or "none"
        raise CommandError(f"No runbook named {name!r}. Known: {known}.")
    split = pages(parse_markdown(raw))
    number = max(0, min(number, len(split) - 1))
    title = _title(raw) or name
    sign = services.signer.token
    return runbook_doc_card(
        name,
        title,
        split[number],
        page=number,
        page_count=len(split),
        previous=sign(page_id(name, number - 1)) if number > 0 else None,
        next_page=sign(page_id(name, number + 1)) if number + 1 < len(split) else None,
        runnable=run is not None,
    )
