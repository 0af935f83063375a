"""Sample on-call cards: for the tests, the renderer check and the README pictures.

`python -m cards.oncall_samples` prints {name: card} as JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cards.common import Card
from cards.oncall import OnCallView, PageView, ShiftView, oncall_card, page_card
from cards.samples import HOSTILE_NAMES

AT = datetime(2026, 3, 29, 10, 15, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
ACK_ID = "oc-ack-sample.signature"


def _duty(**extra: object) -> OnCallView:
    now = ShiftView(
        "Alice Admin", datetime(2026, 3, 28, 8, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC)
    )
    nxt = ShiftView("Bob Builder", now.ends, now.ends + timedelta(days=1))
    view = OnCallView("platform", BERLIN, "Europe/Berlin", now, nxt)
    return OnCallView(**{**vars(view), **extra})  # type: ignore[arg-type]


def oncall_now() -> Card:
    return oncall_card(_duty())


def oncall_override() -> Card:
    cover = ShiftView("Lena Lead", AT, AT + timedelta(hours=4), override=True)
    overrides = (("Lena Lead", AT, AT + timedelta(hours=4), "Alice Admin"),)
    return oncall_card(_duty(now=cover, overrides=overrides))


def oncall_not_started() -> Card:
    return oncall_card(_duty(now=None))


def page_open() -> Card:
    view = PageView("Bob Builder", "29:1bob", "disk full on db-3", "Alice Admin", AT)
    return page_card(view, ACK_ID)


def page_acknowledged() -> Card:
    view = PageView(
        "Bob Builder",
        "29:1bob",
        "disk full on db-3",
        "Alice Admin",
        AT,
        "Bob Builder",
        AT + timedelta(minutes=2),
    )
    return page_card(view, ACK_ID)


def page_hostile() -> Card:
    view = PageView(HOSTILE_NAMES[1], "29:1x", HOSTILE_NAMES[0], HOSTILE_NAMES[3], AT)
    return page_card(view, ACK_ID)


SAMPLES: dict[str, Callable[[], Card]] = {
    "oncall_now": oncall_now,
    "oncall_override": oncall_override,
    "oncall_not_started": oncall_not_started,
    "page_open": page_open,
    "page_acknowledged": page_acknowledged,
    "page_hostile": page_hostile,
}


def build() -> dict[str, Card]:
    return {name: make() for name, make in SAMPLES.items()}


if __name__ == "__main__":
    json.dump(build(), sys.stdout, ensure_ascii=False)
