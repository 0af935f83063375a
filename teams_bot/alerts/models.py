"""Typed alerts: what a notification says, whichever source sent it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from cards.alerts import severity_rank

Status = Literal["firing", "resolved"]


@dataclass(frozen=True)
class Alert:
    fingerprint: str
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "status": self.status,
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": self.starts_at.isoformat() if self.starts_at else None,
            "endsAt": self.ends_at.isoformat() if self.ends_at else None,
            "generatorURL": self.generator_url,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        return cls(
            fingerprint=str(data["fingerprint"]),
            status="resolved" if data.get("status") == "resolved" else "firing",
            labels=dict(data.get("labels") or {}),
            annotations=dict(data.get("annotations") or {}),
            starts_at=_time(data.get("startsAt")),
            ends_at=_time(data.get("endsAt")),
            generator_url=str(data.get("generatorURL") or ""),
        )


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Notification:
    """One notification about one group of alerts (an Alertmanager group or a generic alert)."""

    source: str
    group_key: str
    status: Status
    alerts: tuple[Alert, ...]
    receiver: str = ""
    group_labels: dict[str, str] = field(default_factory=dict)
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0
    title: str = ""

    @property
    def severity(self) -> str:
        """The most severe firing alert's severity (or of any alert when none fires)."""
        pool = [a for a in self.alerts if a.status == "firing"] or list(self.alerts)
        best = max(pool, key=lambda a: severity_rank(a.severity), default=None)
        return best.severity if best else ""
