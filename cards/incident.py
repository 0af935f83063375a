"""The incident card: id, title, severity, state, commander and the timeline (newest last).

Pure: data in, Adaptive Card 1.5 out. Every user-typed value goes through the escaping helpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cards.common import Card, Element, adaptive_card, fact_set, footer, text_block

TIMELINE_SHOWN = 12  # the card shows the latest entries; `incident export` has them all
SEVERITY_COLOURS = {1: "attention", 2: "warning", 3: "accent", 4: "default"}
STATE_LABELS = {"open": "🔥 Open", "mitigated": "🩹 Mitigated", "resolved": "✅ Resolved"}


@dataclass(frozen=True)
class EventView:
    at: datetime
    who: str
    what: str


@dataclass(frozen=True)
class IncidentView:
    id: str
    title: str
    severity: int
    state: str
    commander: str
    opened_by: str
    opened_at: datetime
    timeline: tuple[EventView, ...] = ()
    summary: str = ""


def when(at: datetime) -> str:
    return f"{at.astimezone(UTC):%d %b %H:%M} UTC"


def incident_card(view: IncidentView) -> Card:
    colour = SEVERITY_COLOURS.get(view.severity, "default")
    body: list[Element] = [
        text_block(
            f"Incident {view.id}: {view.title}",
            size="large",
            weight="bolder",
            heading=True,
            limit=200,
        ),
        text_block(
            f"SEV{view.severity} · {STATE_LABELS.get(view.state, view.state)}",
            weight="bolder",
            color=colour,
        ),
        fact_set(
            [
                ("Commander", view.commander or "nobody yet"),
                ("Opened", f"{when(view.opened_at)} by {view.opened_by}"),
                ("Summary", view.summary),
            ],
            limit=500,
        ),
    ]
    body.extend(_timeline(view.timeline))
    body.append(footer(f"incident note {view.id} <text> · incident export {view.id}"))
    return adaptive_card(body, fallback_text=summary_line(view))


def _timeline(events: tuple[EventView, ...]) -> list[Element]:
    if not events:
        return []
    blocks = [text_block("Timeline", weight="bolder", spacing="medium", separator=True)]
    hidden = len(events) - TIMELINE_SHOWN
    if hidden > 0:
        blocks.append(text_block(f"… {hidden} earlier entries (incident export)", subtle=True))
    blocks.extend(
        text_block(f"{when(e.at)} · {e.who}: {e.what}", size="small", limit=500, spacing="none")
        for e in events[-TIMELINE_SHOWN:]
    )
    return blocks


def summary_line(view: IncidentView) -> str:
    """The one-line fallback text and audit outcome."""
    return f"Incident {view.id} SEV{view.severity} {view.state}: {view.title[:80]}"
