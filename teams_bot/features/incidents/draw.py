"""Card data and the Markdown export from the store (the card itself is cards/incident.py)."""

from __future__ import annotations

from collections.abc import Sequence

from cards.common import Card
from cards.incident import EventView, IncidentView, incident_card, when
from cards.text import escape_markdown, one_line
from teams_bot.features.incidents.store import Event, Incident


def view_of(incident: Incident, timeline: Sequence[Event]) -> IncidentView:
    return IncidentView(
        id=incident.id,
        title=incident.title,
        severity=incident.severity,
        state=incident.state,
        commander=incident.commander_name,
        opened_by=incident.opened_by_name,
        opened_at=incident.opened_at,
        timeline=tuple(EventView(e.at, e.who_name, e.what) for e in timeline),
        summary=incident.summary,
    )


def draw_incident(incident: Incident, timeline: Sequence[Event]) -> Card:
    return incident_card(view_of(incident, timeline))


def _md(text: str) -> str:
    """Untrusted text, one line, shown literally in Markdown."""
    return escape_markdown(one_line(text))


def export_markdown(incident: Incident, timeline: Sequence[Event]) -> str:
    """The incident as Markdown: a heading, the facts, and the timeline (who, when, what)."""
    lines = [
        f"## Incident {incident.id}: {_md(incident.title)}",
        "",
        f"- Severity: SEV{incident.severity}",
        f"- State: {incident.state}",
        f"- Commander: {_md(incident.commander_name) or 'nobody'}",
        f"- Opened: {when(incident.opened_at)} by {_md(incident.opened_by_name)}",
    ]
    if incident.resolved_at is not None:
        lines.append(f"- Resolved: {when(incident.resolved_at)}")
    if incident.summary:
        lines.append(f"- Summary: {_md(incident.summary)}")
    lines += ["", "### Timeline", ""]
    lines += [f"- {when(e.at)} · {_md(e.who_name)}: {_md(e.what)}" for e in timeline]
    return "\n".join(lines)
