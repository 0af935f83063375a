"""Payloads in, typed notifications out; a bad payload raises PayloadError naming the field.

Alertmanager webhook (version 4): version, groupKey, truncatedAlerts, status, receiver,
groupLabels, commonLabels, commonAnnotations, externalURL, and alerts[] with status, labels,
annotations, startsAt, endsAt (Go's zero time "0001-01-01T00:00:00Z" means unset),
generatorURL and fingerprint.

Generic shape (Grafana, scripts, cron), one alert per notification:
    {"title": "Backup failed", "state": "firing" | "resolved", "dedup_key": "backup-db-3",
     "severity": "critical", "labels": {...}, "annotations": {"summary": ..., "runbook_url": ...},
     "starts_at": "2026-11-30T04:00:00Z", "url": "https://..."}
title, state and dedup_key are required; notifications with the same dedup_key are one card.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, cast

from teams_bot.alerts.models import Alert, Notification, Status

MAX_ALERTS = 5_000
_ZERO_TIME_YEAR = 1


class PayloadError(ValueError):
    """The payload is not what the source's kind expects; `field` says where."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}" if field else problem)


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError("", f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PayloadError("", "must be a JSON object")
    return data


def parse_alertmanager(source: str, data: dict[str, Any]) -> Notification:
    if str(data.get("version", "")) != "4":
        raise PayloadError("version", 'must be "4" (Alertmanager webhook format)')
    raw_alerts = data.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise PayloadError("alerts", "must be a non-empty list")
    if len(raw_alerts) > MAX_ALERTS:
        raise PayloadError("alerts", f"more than {MAX_ALERTS} alerts")
    alerts = tuple(_am_alert(f"alerts[{i}]", a) for i, a in enumerate(raw_alerts))
    truncated = data.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise PayloadError("truncatedAlerts", "must be a non-negative integer")
    return Notification(
        source=source,
        group_key=_text(data, "groupKey", required=True),
        status=_status(data, "status", ""),
        alerts=alerts,
        receiver=_text(data, "receiver"),
        group_labels=_strings(data, "groupLabels"),
        common_labels=_strings(data, "commonLabels"),
        common_annotations=_strings(data, "commonAnnotations"),
        external_url=_text(data, "externalURL"),
        truncated_alerts=truncated,
    )


def _am_alert(where: str, data: object) -> Alert:
    if not isinstance(data, dict):
        raise PayloadError(where, "must be an object")
    labels = _strings(data, "labels", where, required=True)
    fingerprint = _text(data, "fingerprint", where) or _fingerprint(labels)
    return Alert(
        fingerprint=fingerprint,
        status=_status(data, "status", where),
        labels=labels,
        annotations=_strings(data, "annotations", where),
        starts_at=_timestamp(data, "startsAt", where),
        ends_at=_timestamp(data, "endsAt", where),
        generator_url=_text(data, "generatorURL", where),
    )


def parse_generic(source: str, data: dict[str, Any]) -> Notification:
    title = _text(data, "title", required=True)
    dedup_key = _text(data, "dedup_key", required=True)
    severity = _text(data, "severity") or "warning"
    labels = {"alertname": title, "severity": severity, **_strings(data, "labels")}
    status = _status(data, "state", "")
    alert = Alert(
        fingerprint=hashlib.sha256(dedup_key.encode()).hexdigest()[:16],
        status=status,
        labels=labels,
        annotations=_strings(data, "annotations"),
        starts_at=_timestamp(data, "starts_at", ""),
        generator_url=_text(data, "url"),
    )
    return Notification(
        source=source,
        group_key=dedup_key,
        status=status,
        alerts=(alert,),
        common_labels=labels,
        title=title,
    )


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _text(data: dict[str, Any], key: str, where: str = "", *, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError(_name(where, key), "is required")
        return ""
    if not isinstance(value, str):
        raise PayloadError(_name(where, key), "must be a string")
    if len(value) > 4096:
        raise PayloadError(_name(where, key), "longer than 4096 characters")
    return value


def _status(data: dict[str, Any], key: str, where: str) -> Status:
    value = data.get(key)
    if value not in ("firing", "resolved"):
        raise PayloadError(_name(where, key), 'must be "firing" or "resolved"')
    return cast(Status, value)


def _strings(
    data: dict[str, Any], key: str, where: str = "", *, required: bool = False
) -> dict[str, str]:
    value = data.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PayloadError(_name(where, key), "must be an object of strings")
    return dict(value)


def _timestamp(data: dict[str, Any], key: str, where: str) -> datetime | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(_name(where, key), "must be an RFC 3339 time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(_name(where, key), "must be an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise PayloadError(_name(where, key), "must carry a time zone")
    return None if moment.year == _ZERO_TIME_YEAR else moment


def _fingerprint(labels: dict[str, str]) -> str:
    canonical = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
