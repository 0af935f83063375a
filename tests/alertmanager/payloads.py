"""Webhook payloads in Alertmanager's documented v4 shape (as 0.25 sends them)."""

from __future__ import annotations

import json
from typing import Any

GROUP_KEY = '{}/{team="platform"}:{alertname="NodeNotReady"}'


def am_alert(node: str, *, status: str = "firing", severity: str = "critical",
             team: str = "platform", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "NodeNotReady", "node": node, "severity": severity,
                   "team": team, **labels},
        "annotations": {"summary": f"Node {node} is not ready",
                        "runbook_url": "https://runbooks.example/node-not-ready"},
        "startsAt": "2026-11-30T03:52:26.739266876+02:00",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-30T04:10:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up%3D%3D0\u0026g0.tab=1",
        "fingerprint": f"fp-{node}",
    }


def am_payload(*alerts: dict[str, Any], status: str | None = None,
               group_key: str = GROUP_KEY) -> dict[str, Any]:
    alerts = alerts or (am_alert("aks-1"),)
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "receiver": "opsbot",
        "status": status or ("firing" if firing else "resolved"),
        "alerts": list(alerts),
        "groupLabels": {"alertname": "NodeNotReady"},
        "commonLabels": {"alertname": "NodeNotReady", "team": "platform"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
    }


def body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()
