"""On-call cards: who is on call now and next, and a page that @mentions someone.

A Teams mention in an Adaptive Card is `<at>Name</at>` in a TextBlock plus an entry in the
card's `msteams.entities` whose `text` is exactly that tag; the name is cleaned so that the tag
stays one plain tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from cards.common import (
    Card,
    Element,
    _text_block_raw,
    adaptive_card,
    execute_action,
    fact_set,
    footer,
    text_block,
)
from cards.text import prose, truncate

VERB_ONCALL_ACKNOWLEDGE = "oncall.acknowledge"
_NOT_IN_TAG = re.compile(r"[<>&\\*_`~\[\]{}|#!]")


@dataclass(frozen=True)
class ShiftView:
    name: str
    starts: datetime
    ends: datetime
    override: bool = False


@dataclass(frozen=True)
class OnCallView:
    team: str
    zone: tzinfo
    zone_name: str
    now: ShiftView | None
    next: ShiftView | None
    overrides: tuple[tuple[str, datetime, datetime, str], ...] = ()  # name, from, until, by


@dataclass(frozen=True)
class PageView:
    name: str
    mention_id: str  # the Teams id (29:…) or AAD object id; "" when unknown: no mention
    message: str
    by: str
    at: datetime
    acked_by: str = ""
    acked_at: datetime | None = None


def when(at: datetime, zone: tzinfo) -> str:
    """`Mon 30 Mar 09:00 CEST (07:00 UTC)`."""
    local = at.astimezone(zone)
    shown = f"{local:%a %d %b %H:%M %Z}"
    return (
        shown if local.utcoffset() == timedelta(0) else f"{shown} ({at.astimezone(UTC):%H:%M} UTC)"
    )


def mention(name: str, mention_id: str) -> tuple[str, dict[str, Any]]:
    """The `<at>Name</at>` text for a TextBlock and its msteams mention entity."""
    clean = truncate(_NOT_IN_TAG.sub("", prose(name)), 80) or "on-call"
    tag = f"<at>{clean}</at>"
    return tag, {"type": "mention", "text": tag, "mentioned": {"id": mention_id, "name": clean}}


def oncall_card(view: OnCallView) -> Card:
    body: list[Element] = [
        text_block(f"On call: {view.team}", size="large", weight="bolder", heading=True)
    ]
    body.append(fact_set(_shift_facts(view)))
    if view.overrides:
        body.append(text_block("Overrides", weight="bolder", spacing="medium"))
        body.extend(
            text_block(
                f"{name}: {when(start, view.zone)} → {when(end, view.zone)}, set by {by}",
                size="small",
            )
            for name, start, end, by in view.overrides
        )
    body.append(footer(f"Times in {view.zone_name} (and UTC)"))
    return adaptive_card(body, fallback_text=_summary(view))


def _shift_facts(view: OnCallView) -> list[tuple[str, str]]:
    if view.now is None:
        facts = [("Now", "nobody (the rotation has not started)")]
    else:
        label = " (override)" if view.now.override else ""
        facts = [
            ("Now", f"{view.now.name}{label}"),
            ("Since", when(view.now.starts, view.zone)),
            ("Hand-off", when(view.now.ends, view.zone)),
        ]
    if view.next is not None:
        label = " (override)" if view.next.override else ""
        facts += [("Next", f"{view.next.name}{label}"), ("From", when(view.next.starts, view.zone))]
    return facts


def _summary(view: OnCallView) -> str:
    who = view.now.name if view.now else "nobody"
    return f"On call for {view.team}: {who}"


def page_card(view: PageView, acknowledge_id: str | None) -> Card:
    """The page: the person @mentioned, the message, who paged, and Acknowledge (until done)."""
    body: list[Element] = []
    entities: list[dict[str, Any]] = []
    if view.mention_id:
        tag, entity = mention(view.name, view.mention_id)
        body.append(_text_block_raw(f"📟 {tag}, you are paged", size="large", weight="bolder"))
        entities.append(entity)
    else:
        body.append(text_block(f"📟 {view.name}, you are paged", size="large", weight="bolder"))
    if view.message:
        body.append(text_block(view.message, limit=1000))
    if view.acked_at is not None:
        body.append(
            text_block(
                f"✔ Acknowledged by {view.acked_by} at {when(view.acked_at, UTC)}",
                color="good",
                weight="bolder",
            )
        )
    body.append(footer(f"Paged by {view.by} at {when(view.at, UTC)}"))
    actions: list[Element] = []
    if acknowledge_id and view.acked_at is None:
        actions.append(
            execute_action("Acknowledge", VERB_ONCALL_ACKNOWLEDGE, acknowledge_id, style="positive")
        )
    card = adaptive_card(body, actions, fallback_text=f"Page for {view.name}")
    if entities:
        card["msteams"] = {**card["msteams"], "entities": entities}
    return card
