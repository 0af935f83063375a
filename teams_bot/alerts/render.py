"""From stored group state to the card's view (what the sender draws for an outbox row)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cards.alerts import AlertButtons, AlertGroupView, AlertItem, alert_card
from cards.common import Card
from teams_bot.alerts.config import AlertSource
from teams_bot.alerts.models import Alert
from teams_bot.alerts.state import AlertGroup


@dataclass(frozen=True)
class Targets:
    """What an alert's labels name, for its Reboot and Rollback buttons ("" = none)."""

    node: str = ""
    release: str = ""


def targets(alert: Alert, source: AlertSource | None) -> Targets:
    if source is None:
        return Targets()
    return Targets(
        source.first_label(alert.labels, source.node_labels),
        source.first_label(alert.labels, source.release_labels),
    )


def title_of(group: AlertGroup) -> str:
    n = group.notification
    if n.title:
        return n.title
    names = sorted({a.name for a in n.alerts if a.name})
    label_text = " · ".join(v for k, v in sorted(n.group_labels.items()) if k != "alertname")
    head = names[0] if len(names) == 1 else f"{len(names)} alert rules" if names else "Alert"
    return f"{head} · {label_text}" if label_text else head


def view_of(group: AlertGroup, now: datetime) -> AlertGroupView:
    n = group.notification
    return AlertGroupView(
        title=title_of(group),
        source=group.source,
        status="resolved" if group.status == "resolved" else "firing",
        alerts=[_item(a, group.silences.get(a.fingerprint, "")) for a in n.alerts],
        first_seen=group.first_seen_at,
        now=now,
        resolved_at=group.resolved_at,
        external_url=n.external_url,
        truncated=n.truncated_alerts,
        acknowledged_by=group.acked_by_name,
        acknowledged_at=group.acked_at,
    )


def card_for(
    group: AlertGroup,
    now: datetime,
    *,
    acknowledge_id: str | None = None,
    buttons: Mapping[str, AlertButtons] | None = None,
) -> Card:
    return alert_card(view_of(group, now), acknowledge_id=acknowledge_id, buttons=buttons)


def _item(alert: Alert, silence_id: str) -> AlertItem:
    return AlertItem(
        fingerprint=alert.fingerprint,
        name=alert.name,
        status=alert.status,
        severity=alert.severity,
        labels=alert.labels,
        summary=alert.annotations.get("summary", ""),
        description=alert.annotations.get("description", ""),
        starts_at=alert.starts_at,
        ends_at=alert.ends_at if alert.status == "resolved" else None,
        generator_url=alert.generator_url,
        runbook_url=alert.annotations.get("runbook_url", ""),
        silence_id=silence_id,
    )
