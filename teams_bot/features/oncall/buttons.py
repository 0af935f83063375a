"""The page card's Acknowledge button: once, by anyone in the page's conversation; the card
changes for everyone and the press is audited."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cards.common import with_notice
from teams_bot.actions.models import Press, PressResult, refused
from teams_bot.auditing import audit_record
from teams_bot.features.oncall.draw import draw_page, page_of
from teams_bot.features.oncall.store import OnCallStore, Page

if TYPE_CHECKING:
    from teams_bot.services import Services


def _channel(conversation_id: str) -> str:
    return conversation_id.split(";")[0]  # a card's thread is in its channel


async def acknowledge(services: Services, pressed: Press) -> PressResult:
    started = time.perf_counter()
    page_id = page_of(services.signer, pressed.token)
    store = OnCallStore(services.db)
    page = await store.page(page_id) if page_id else None
    if page is None:
        result = refused("This page button is not valid here.")
    elif page.tenant_id != pressed.caller.tenant_id or _channel(page.conversation_id) != _channel(
        pressed.where.conversation_id
    ):
        result = refused("This page is not one of this conversation.")
    else:
        result = await _acknowledge(services, store, page, pressed)
    await services.audit.append(
        audit_record(
            "action",
            pressed.caller,
            pressed.where,
            command="oncall acknowledge",
            arguments={"page": page_id or ""},
            outcome=result.outcome,
            detail=result.message,
            correlation_id=pressed.correlation_id,
            duration_ms=(time.perf_counter() - started) * 1000,
        )
    )
    return result


async def _acknowledge(
    services: Services, store: OnCallStore, page: Page, pressed: Press
) -> PressResult:
    who = pressed.caller.display_name or pressed.caller.aad_object_id
    took = await store.acknowledge(page.id, pressed.caller.aad_object_id, who, datetime.now(UTC))
    latest = await store.page(page.id) or page
    card = draw_page(services.signer, latest)
    if not took:
        message = f"Already acknowledged by {latest.acked_by_name}."
        return PressResult(with_notice(card, message), False, "duplicate", message)
    return PressResult(card, True, "ok", f"Acknowledged by {who}.")
