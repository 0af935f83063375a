"""Sample incident cards: for the tests and the renderer check.

`python -m cards.incident_samples` prints {name: card} as JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cards.common import Card
from cards.incident import EventView, IncidentView, incident_card
from cards.samples import HOSTILE_NAMES

AT = datetime(2026, 11, 30, 4, 10, tzinfo=UTC)


def _event(minutes: int, who: str, what: str) -> EventView:
    return EventView(AT + timedelta(minutes=minutes), who, what)


def incident_open() -> Card:
    view = IncidentView(
        "K7M2QX",
        "Checkout latency above 2 s",
        2,
        "open",
        "",
        "Alice Admin",
        AT,
        (_event(0, "Alice Admin", "opened the incident (SEV2)"),),
    )
    return incident_card(view)


def incident_resolved() -> Card:
    events = (
        _event(0, "Alice Admin", "opened the incident (SEV2)"),
        _event(3, "Alice Admin", "note: db-3 replication lag 40 s"),
        _event(5, "Alice Admin", "commander: Bob Builder"),
        _event(9, "Bob Builder", "severity SEV2 → SEV1"),
        _event(30, "Bob Builder", "resolved: failed over to db-4"),
    )
    view = IncidentView(
        "K7M2QX",
        "Checkout latency above 2 s",
        1,
        "resolved",
        "Bob Builder",
        "Alice Admin",
        AT,
        events,
        "failed over to db-4",
    )
    return incident_card(view)


def incident_long_timeline() -> Card:
    events = tuple(_event(i, "Bob Builder", f"note: check {i}") for i in range(30))
    view = IncidentView("P3R8TW", "Queue backlog", 3, "open", "Bob Builder", "Bob", AT, events)
    return incident_card(view)


def incident_hostile() -> Card:
    events = (_event(1, HOSTILE_NAMES[1], f"note: {HOSTILE_NAMES[0]}"),)
    view = IncidentView(
        "Z9Z9Z9", HOSTILE_NAMES[0], 4, "open", HOSTILE_NAMES[3], HOSTILE_NAMES[1], AT, events
    )
    return incident_card(view)


SAMPLES: dict[str, Callable[[], Card]] = {
    "incident_open": incident_open,
    "incident_resolved": incident_resolved,
    "incident_long_timeline": incident_long_timeline,
    "incident_hostile": incident_hostile,
}


def build() -> dict[str, Card]:
    return {name: make() for name, make in SAMPLES.items()}


if __name__ == "__main__":
    json.dump(build(), sys.stdout, ensure_ascii=False)
