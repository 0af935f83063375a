"""The approval card's buttons: Approve, Deny (with a reason), Cancel (requester), refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from teams_bot.actions.models import Press, PressResult, refused
from teams_bot.actions.router import same_conversation
from teams_bot.approvals import render, service
from teams_bot.approvals.service import VERB_REFRESH

if TYPE_CHECKING:
    from teams_bot.services import Services


async def press(services: Services, pressed: Press) -> PressResult:
    approval_id = render.approval_id_of(services.signer, pressed.token)
    approval = await services.approvals.get(approval_id) if approval_id else None
    if approval is None:
        return refused("This approval button is not valid here.")
    if approval.tenant_id != pressed.caller.tenant_id:
        return refused("This card belongs to another organization.")
    if not same_conversation(approval.conversation_id, pressed.where.conversation_id):
        return refused("This button belongs to a card in another conversation.")
    if pressed.verb == VERB_REFRESH:
        mine = pressed.caller.aad_object_id == approval.requester_id
        return PressResult(service.card(services, approval, for_requester=mine), False, "ok")
    reason = str((pressed.data or {}).get("reason") or "").strip()[:500]
    verb = pressed.verb or ""
    message = await service.decide(
        services, approval, verb, pressed.caller, pressed.where, reason, pressed.correlation_id
    )
    latest = await services.approvals.get(approval.id) or approval
    changed = latest.state != approval.state or latest.votes != approval.votes
    mine = pressed.caller.aad_object_id == latest.requester_id
    shown = service.card(services, latest, for_requester=mine)
    if changed:  # decide() already updated the card for everyone
        return PressResult(shown, False, "ok", message)
    return PressResult(render.with_notice(shown, message), False, "refused", message)
