"""Alert-group state: merging each notification into what the card shows (pure functions)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from teams_bot.alerts.models import Alert, Notification

MAX_KEPT_ALERTS = 1_000  # per group; the oldest resolved ones go first


def group_id(source: str, group_key: str) -> str:
    return hashlib.sha256(f"{source}\0{group_key}".encode()).hexdigest()[:32]


def notification_id(notification: Notification) -> str:
    """Equal for a retried delivery of the same notification, different once anything changed."""
    content = json.dumps(to_json(notification), sort_keys=True, separators=(",", ":"))
    key = f"{notification.source}\0{notification.group_key}\0{content}"
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class AlertGroup:
    id: str
    source: str
    group_key: str
    status: str
    severity: str
    notification: Notification
    first_seen_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    acked_by: str = ""
    acked_by_name: str = ""
    acked_at: datetime | None = None
    silences: dict[str, str] = field(default_factory=dict)  # fingerprint -> silence id
    episode: int = 1  # a group that fires again after resolving gets a new card

    @property
    def coalesce_key(self) -> str:
        """The outbox key of this episode's card (one Teams message per conversation)."""
        return f"alert:{self.source}:{self.id}:{self.episode}"

    def alert(self, fingerprint: str) -> Alert | None:
        return next((a for a in self.notification.alerts if a.fingerprint == fingerprint), None)


def merge(previous: AlertGroup | None, new: Notification, now: datetime) -> AlertGroup:
    """The group after `new`: alerts by fingerprint (the new state wins); alerts it no longer
    mentions are resolved when the group resolves. Firing again after resolving starts a new
    episode (new card, no acknowledgement or silences carried over)."""
    gid = group_id(new.source, new.group_key)
    if previous is None or (previous.status == "resolved" and new.status == "firing"):
        episode = previous.episode + 1 if previous else 1
        return _fresh(gid, new, now, episode)
    alerts = {a.fingerprint: a for a in previous.notification.alerts}
    alerts.update((a.fingerprint, a) for a in new.alerts)
    if new.status == "resolved":
        alerts = {fp: _resolved(a, now) for fp, a in alerts.items()}
    merged = replace(new, alerts=_capped(list(alerts.values())))
    return replace(
        previous,
        status=new.status,
        severity=merged.severity,
        notification=merged,
        updated_at=now,
        resolved_at=_resolved_at(merged, now) if new.status == "resolved" else None,
    )


def _fresh(gid: str, new: Notification, now: datetime, episode: int) -> AlertGroup:
    starts = [a.starts_at for a in new.alerts if a.starts_at]
    return AlertGroup(
        id=gid,
        source=new.source,
        group_key=new.group_key,
        status=new.status,
        severity=new.severity,
        notification=replace(new, alerts=_capped(list(new.alerts))),
        first_seen_at=min([*starts, now]),
        updated_at=now,
        resolved_at=_resolved_at(new, now) if new.status == "resolved" else None,
        episode=episode,
    )


def _resolved(alert: Alert, now: datetime) -> Alert:
    if alert.status == "resolved":
        return alert
    return replace(alert, status="resolved", ends_at=alert.ends_at or now)


def _resolved_at(notification: Notification, now: datetime) -> datetime:
    ends = [a.ends_at for a in notification.alerts if a.ends_at]
    return max(ends) if ends else now


def _capped(alerts: list[Alert]) -> tuple[Alert, ...]:
    if len(alerts) <= MAX_KEPT_ALERTS:
        return tuple(alerts)
    alerts.sort(key=_age_key)
    return tuple(alerts[-MAX_KEPT_ALERTS:])


def _age_key(alert: Alert) -> tuple[bool, float]:
    moment = alert.ends_at or alert.starts_at
    return alert.status == "firing", moment.timestamp() if moment else 0.0


def to_json(n: Notification) -> dict[str, Any]:
    return {
        "source": n.source,
        "groupKey": n.group_key,
        "status": n.status,
        "receiver": n.receiver,
        "groupLabels": n.group_labels,
        "commonLabels": n.common_labels,
        "commonAnnotations": n.common_annotations,
        "externalURL": n.external_url,
        "truncatedAlerts": n.truncated_alerts,
        "title": n.title,
        "alerts": [a.to_json() for a in n.alerts],
    }


def from_json(data: dict[str, Any]) -> Notification:
    return Notification(
        source=data["source"],
        group_key=data["groupKey"],
        status="resolved" if data["status"] == "resolved" else "firing",
        alerts=tuple(Alert.from_json(a) for a in data["alerts"]),
        receiver=data.get("receiver", ""),
        group_labels=data.get("groupLabels", {}),
        common_labels=data.get("commonLabels", {}),
        common_annotations=data.get("commonAnnotations", {}),
        external_url=data.get("externalURL", ""),
        truncated_alerts=int(data.get("truncatedAlerts", 0)),
        title=data.get("title", ""),
    )
