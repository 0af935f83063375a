"""Card data from the schedule and the store (the cards themselves are in cards/oncall.py)."""

from __future__ import annotations

from cards.common import Card
from cards.oncall import OnCallView, PageView, ShiftView, oncall_card, page_card
from teams_bot.actions.signing import ActionSigner
from teams_bot.features.oncall.lookup import Duty
from teams_bot.features.oncall.schedule import Shift
from teams_bot.features.oncall.store import Page

_ACK = "oc-ack-"


def _shift(shift: Shift | None) -> ShiftView | None:
    if shift is None:
        return None
    return ShiftView(shift.person.name, shift.starts, shift.ends, shift.override)


def duty_card(duty: Duty) -> Card:
    rotation = duty.rotation
    overrides = tuple((o.person.name, o.starts_at, o.ends_at, o.by_name) for o in duty.overrides)
    view = OnCallView(
        rotation.team,
        rotation.zone,
        rotation.zone.key,
        _shift(duty.now),
        _shift(duty.next),
        overrides,
    )
    return oncall_card(view)


def ack_token(signer: ActionSigner, page_id: str) -> str:
    return signer.token(_ACK + page_id)


def page_of(signer: ActionSigner, signed: object) -> str | None:
    inner = signer.verify(signed)
    return inner.removeprefix(_ACK) if inner and inner.startswith(_ACK) else None


def draw_page(signer: ActionSigner, page: Page) -> Card:
    person = page.person
    view = PageView(
        person.name,
        person.teams_id or person.aad_object_id,
        page.message,
        page.by_name,
        page.created_at,
        page.acked_by_name,
        page.acked_at,
    )
    return page_card(view, ack_token(signer, page.id))
