"""Subscription filters: `severity>=warning`, `label=value` (all must match), `source=NAME`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cards.alerts import severity_rank
from teams_bot.alerts.models import Notification
from teams_bot.errors import CommandError

SEVERITIES = ("info", "warning", "error", "critical")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_TERM = re.compile(r"(?P<name>[^=<>!\s]+)\s*(?P<op>>=|=)\s*(?P<value>.*)", re.S)


class FilterError(CommandError):
    """A subscription filter term the user typed is not understood."""


@dataclass(frozen=True)
class AlertFilter:
    source: str = ""
    min_severity: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def matches(self, notification: Notification) -> bool:
        """Source, minimum severity, and every label on at least one of the group's alerts."""
        if self.source and self.source != notification.source:
            return False
        if self.min_severity and (
            severity_rank(notification.severity) < severity_rank(self.min_severity)
        ):
            return False
        return not self.labels or any(
            all(alert.labels.get(k) == v for k, v in self.labels.items())
            for alert in notification.alerts
        )

    def describe(self) -> str:
        terms = [f"severity>={self.min_severity}"] if self.min_severity else []
        terms += [f"{k}={v}" for k, v in sorted(self.labels.items())]
        terms += [f"source={self.source}"] if self.source else []
        return " ".join(terms) or "everything"


@dataclass(frozen=True)
class Subscription:
    id: str
    tenant_id: str
    conversation_id: str
    filter: AlertFilter
    created_by: str
    created_by_name: str
    created_at: datetime
    state: str = "active"
    disabled_reason: str = ""


def parse_filter(terms: Sequence[str], sources: Iterable[str] = ()) -> AlertFilter:
    """`["severity>=warning", "team=payments", "source=prod"]` → AlertFilter."""
    known = set(sources)
    source, severity, labels = "", "", {}
    for term in terms:
        match = _TERM.fullmatch(term.strip())
        if match is None:
            raise FilterError(
                f"Not a filter: '{term}'. Use severity>=LEVEL, label=value or source=NAME."
            )
        name, op, value = match["name"], match["op"], match["value"].strip()
        if name == "severity" and op == ">=":
            severity = _severity(value)
        elif op != "=" or not value:
            raise FilterError(f"'{term}': only severity takes >=; labels need a value.")
        elif name == "source":
            if known and value not in known:
                raise FilterError(f"Unknown source '{value}'; known: {', '.join(sorted(known))}.")
            source = value
        elif _LABEL.fullmatch(name):
            labels[name] = value
        else:
            raise FilterError(f"'{name}' is not a label name.")
    return AlertFilter(source=source, min_severity=severity, labels=labels)


def _severity(value: str) -> str:
    level = value.lower()
    if level not in SEVERITIES:
        raise FilterError(f"Severity '{value}' is not one of {', '.join(SEVERITIES)}.")
    return level
