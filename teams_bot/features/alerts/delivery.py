"""This replica's delivery worker: drains the outbox within Teams' limits; an alert card is
drawn from its group's newest state when it leaves."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cards.oncall import mention
from teams_bot.alerts import AlertGroup, AlertSource
from teams_bot.auditing import audit_record
from teams_bot.features.alerts.draw import draw
from teams_bot.features.alerts.runtime import runtime
from teams_bot.features.oncall import oncall_for
from teams_bot.identity import Caller, Where
from teams_bot.outbox import Delivery, DeliveryWorker, Send, SendResult

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)


def drawing(services: Services, send: Send) -> Send:
    """Alert deliveries carry a reference to their group: draw the card now, then send it."""
    parts = runtime(services)

    async def draw_and_send(delivery: Delivery) -> SendResult:
        if delivery.payload.get("kind") != "alert":
            return await send(delivery)
        group = await parts.store.group(str(delivery.payload.get("group_id", "")))
        if group is None:
            return SendResult(400, error="unknown alert group")
        source = parts.config.sources.get(group.source)
        drawn = draw(services.signer, group, source, parts.runbooks)
        card = await with_oncall(services, group, source, drawn)
        payload = {**delivery.payload, "card": card, "summary": card.get("fallbackText", "")}
        return await send(replace(delivery, payload=payload))

    return draw_and_send


async def with_oncall(
    services: Services, group: AlertGroup, source: AlertSource | None, card: dict[str, Any]
) -> dict[str, Any]:
    """A critical alert's card @mentions the on-call person of the team its labels name."""
    if group.severity != "critical" or source is None:
        return card
    labels = group.notification.alerts[0].labels if group.notification.alerts else {}
    team = source.first_label(labels, source.team_labels)
    person = await oncall_for(services, team, datetime.now(UTC)) if team else None
    if person is None:
        return card
    tag, entity = mention(person.name, person.teams_id or person.aad_object_id)
    line = {
        "type": "TextBlock",
        "text": f"On call for {team}: {tag}",
        "wrap": True,
        "weight": "Bolder",
    }
    msteams = {**card.get("msteams", {}), "entities": [entity]}
    return {**card, "body": [line, *card.get("body", [])], "msteams": msteams}


async def deliver_forever(services: Services) -> None:
    """The worker of this replica, for the life of the app."""
    parts = runtime(services)
    outbound = services.messenger.outbox_send()
    worker = DeliveryWorker(
        parts.outbox, drawing(services, outbound), on_disabled=_disabled(services)
    )
    parts.workers.append(worker)
    try:
        await worker.run()
    except asyncio.CancelledError:
        worker.stop()
        raise


def _disabled(services: Services):  # type: ignore[no-untyped-def]
    async def removed(delivery: Delivery, result: SendResult) -> None:
        """Teams said 403/404: the bot was removed there; its subscriptions stop."""
        reason = f"Teams answered {result.status}: the bot was removed from the conversation"
        ids = await runtime(services).store.disable_conversation(
            delivery.conversation_id, reason, datetime.now(UTC)
        )
        who = Caller(aad_object_id="", tenant_id=delivery.tenant_id, display_name="(delivery)")
        where = Where(conversation_id=delivery.conversation_id, tenant_id=delivery.tenant_id)
        await services.audit.append(
            audit_record(
                "command",
                who,
                where,
                command="alerts unsubscribe",
                arguments={"subscriptions": ids},
                outcome="disabled",
                detail=reason,
                correlation_id="",
            )
        )

    return removed
