"""Alerts from monitoring: ingestion (Alertmanager webhook v4 and a generic JSON shape),
per-source authentication, group state, subscriptions, and Alertmanager silences.

The `alerts` feature wires these to commands, buttons and the outbox's delivery worker.
"""

from teams_bot.alerts.config import AlertsConfig, AlertSource, load_alerts
from teams_bot.alerts.http import ROUTE, alerts_handler, ingest_body, parse_notification
from teams_bot.alerts.models import Alert, Notification
from teams_bot.alerts.parse import PayloadError
from teams_bot.alerts.render import card_for, targets, view_of
from teams_bot.alerts.silences import AlertmanagerClient, Silence, SilenceError
from teams_bot.alerts.state import AlertGroup
from teams_bot.alerts.store import AlertStore, Ingested, payload_for
from teams_bot.alerts.subscriptions import AlertFilter, FilterError, Subscription, parse_filter

__all__ = [
    "ROUTE",
    "Alert",
    "AlertFilter",
    "AlertGroup",
    "AlertSource",
    "AlertStore",
    "AlertmanagerClient",
    "AlertsConfig",
    "FilterError",
    "Ingested",
    "Notification",
    "PayloadError",
    "Silence",
    "SilenceError",
    "Subscription",
    "alerts_handler",
    "card_for",
    "ingest_body",
    "load_alerts",
    "parse_filter",
    "parse_notification",
    "payload_for",
    "targets",
    "view_of",
]
