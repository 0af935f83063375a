"""Alerts: from monitoring (Alertmanager, or any tool posting the generic shape) to the channels
that subscribed, as one card per alert group, updated in place, with Acknowledge, Silence and
Reboot buttons; delivered through the durable outbox within Teams' limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from cards.alerts import (
    VERB_ALERT_ACKNOWLEDGE,
    VERB_ALERT_REBOOT,
    VERB_ALERT_RUNBOOK,
    VERB_ALERT_SILENCE,
    VERB_ALERT_UNSILENCE,
)
from teams_bot.alerts import ROUTE, alerts_handler
from teams_bot.features.alerts.buttons import press
from teams_bot.features.alerts.commands import commands
from teams_bot.features.alerts.delivery import deliver_forever
from teams_bot.features.alerts.runtime import runtime
from teams_bot.kit import Button, Feature, Route

if TYPE_CHECKING:
    from teams_bot.services import Services


async def ingest(services: Services, request: web.Request) -> web.StreamResponse:
    """POST /api/alerts/{source}: committed to the outbox before the 2xx answer."""
    parts = runtime(services)
    handler = alerts_handler(parts.config.sources, parts.store, on_accepted=lambda _: parts.wake())
    return await handler(request)


VERBS = (
    VERB_ALERT_ACKNOWLEDGE,
    VERB_ALERT_SILENCE,
    VERB_ALERT_UNSILENCE,
    VERB_ALERT_REBOOT,
    VERB_ALERT_RUNBOOK,
)

feature = Feature(
    name="alerts",
    commands=commands,
    buttons=[Button(verb, press) for verb in VERBS],
    routes=[Route("POST", ROUTE, ingest)],
    workers=[deliver_forever],
)
