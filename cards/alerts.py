"""The alert card: one Alertmanager group (or generic alert), updated in place.

Firing/resolved per alert with a severity colour, start time and duration, labels, summary and
description, links (source, Alertmanager, runbook), who acknowledged it, silences, and buttons
given as opaque signed action ids. A resolved group says how long it lasted. The card stays
under Teams' message size: the most severe alerts are shown, the rest are counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cards.common import (
    Card,
    Element,
    action_set,
    adaptive_card,
    execute_action,
    fact_set,
    footer,
    open_url_action,
    text_block,
)
from cards.size import CardTooLarge, fit_card
from cards.text import fmt_clock, fmt_duration, fmt_time, one_line, prose, truncate

VERB_ALERT_ACKNOWLEDGE = "alerts.acknowledge"
VERB_ALERT_SILENCE = "alerts.silence"
VERB_ALERT_UNSILENCE = "alerts.unsilence"
VERB_ALERT_REBOOT = "alerts.reboot"
VERB_ALERT_ROLLBACK = "alerts.rollback"
VERB_ALERT_RUNBOOK = "alerts.runbook"
MAX_ALERT_CARD_BYTES = 26_000  # Teams rejects messages over about 28 KB (with the envelope)
MAX_SHOWN = 20
HIDDEN_LABELS = ("alertname", "severity")
_SEVERITY_RANK = {"critical": 4, "page": 4, "error": 3, "major": 3, "high": 3, "warning": 2,
                  "minor": 2, "info": 1, "low": 1, "none": 0}
_SEVERITY_COLOR = {4: "attention", 3: "attention", 2: "warning", 1: "accent", 0: "default"}

AlertStatus = Literal["firing", "resolved"]


def severity_rank(severity: str) -> int:
    """critical 4, error 3, warning 2, info 1, anything else 0."""
    return _SEVERITY_RANK.get(severity.strip().lower(), 0)


@dataclass(frozen=True)
class AlertItem:
    """One alert of the group; every text is untrusted."""

    fingerprint: str
    name: str
    status: AlertStatus
    severity: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""
    description: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""
    runbook_url: str = ""
    silence_id: str = ""  # set while the bot's silence covers it


@dataclass(frozen=True)
class AlertButtons:
    """Opaque signed ids for one alert's buttons; a button is shown only when its id is."""

    silence_1h: str | None = None
    silence_4h: str | None = None
    silence_until_resolved: str | None = None
    unsilence: str | None = None
    reboot: str | None = None  # when the labels name a node
    reboot_target: str = ""
    rollback: str | None = None  # when the labels name a release
    rollback_target: str = ""
    runbook: str | None = None  # when the `runbook` annotation names a known runbook
    runbook_name: str = ""


@dataclass(frozen=True)
class AlertGroupView:
    """What the card shows of a group at a moment."""

    title: str
    source: str
    status: AlertStatus
    alerts: Sequence[AlertItem]
    first_seen: datetime
    now: datetime
    resolved_at: datetime | None = None
    external_url: str = ""
    truncated: int = 0  # alerts Alertmanager left out of the notification
    acknowledged_by: str = ""
    acknowledged_at: datetime | None = None


def alert_card(
    view: AlertGroupView,
    *,
    acknowledge_id: str | None = None,
    buttons: Mapping[str, AlertButtons] | None = None,
    max_shown: int = MAX_SHOWN,
    limit: int = MAX_ALERT_CARD_BYTES,
) -> Card:
    """The group's card, its most severe alerts first; halves the list until it fits."""
    ordered = sorted(view.alerts, key=_order)
    shown = max(min(max_shown, len(ordered)), 1)
    while True:
        card = adaptive_card(
            _body(view, ordered, shown, buttons or {}),
            _group_actions(view, acknowledge_id),
            fallback_text=_headline(view),
        )
        try:
            return fit_card(card, limit)
        except CardTooLarge:
            if shown <= 1:
                raise
            shown //= 2


def _order(alert: AlertItem) -> tuple[int, int, float, str]:
    started = alert.starts_at.timestamp() if alert.starts_at else 0.0
    return (alert.status != "firing", -severity_rank(alert.severity), started, alert.fingerprint)


def _group_rank(view: AlertGroupView) -> int:
    firing = [a for a in view.alerts if a.status == "firing"] or list(view.alerts)
    return max((severity_rank(a.severity) for a in firing), default=0)


def _headline(view: AlertGroupView) -> str:
    title = truncate(one_line(view.title), 120) or "Alert"
    if view.status == "resolved":
        end = view.resolved_at or view.now
        return f"✅ RESOLVED: {title} (lasted {fmt_duration(end - view.first_seen)})"
    return f"🔥 FIRING: {title}"


def _body(
    view: AlertGroupView, ordered: Sequence[AlertItem], shown: int,
    buttons: Mapping[str, AlertButtons],
) -> list[Element]:
    color = "good" if view.status == "resolved" else _SEVERITY_COLOR[_group_rank(view)]
    body = [
        text_block(_headline(view), limit=200, heading=True, size="large", weight="bolder",
                   color=color),
        text_block(_summary_line(view), size="small", subtle=True, spacing="none", limit=400),
    ]
    if view.acknowledged_by and view.acknowledged_at:
        who = truncate(one_line(view.acknowledged_by), 80)
        body.append(text_block(f"👀 Acknowledged by {who} at {fmt_clock(view.acknowledged_at)}",
                               weight="bolder", color="accent", spacing="small"))
    body += [_alert_block(a, view, buttons.get(a.fingerprint)) for a in ordered[:shown]]
    hidden = ordered[shown:]
    missing = len(hidden) + view.truncated
    if missing:
        firing = sum(1 for a in hidden if a.status == "firing") + view.truncated
        body.append(text_block(f"… and {missing} more alerts ({firing} firing) not shown",
                               weight="bolder", spacing="medium", separator=True))
    body.append(footer(f"Source {truncate(one_line(view.source), 60)} · "
                       f"updated {fmt_time(view.now)}"))
    return body


def _summary_line(view: AlertGroupView) -> str:
    firing = sum(1 for a in view.alerts if a.status == "firing") + view.truncated
    resolved = sum(1 for a in view.alerts if a.status == "resolved")
    counts = f"{firing} firing, {resolved} resolved"
    since = f"first seen {fmt_time(view.first_seen)}"
    if view.status == "firing":
        since += f" ({fmt_duration(view.now - view.first_seen)} ago)"
    return f"{counts} · {since}"


def _alert_block(alert: AlertItem, view: AlertGroupView, buttons: AlertButtons | None) -> Element:
    firing = alert.status == "firing"
    rank = severity_rank(alert.severity)
    color = _SEVERITY_COLOR[rank] if firing else "good"
    severity = truncate(one_line(alert.severity), 20).upper() or "ALERT"
    mark = "●" if firing else "✔"
    items: list[Element] = [
        text_block(f"{mark} {severity} · {alert.name or 'alert'}", limit=160, weight="bolder",
                   color=color),
        text_block(_timing(alert, view.now), size="small", subtle=True, spacing="none"),
    ]
    if alert.summary:
        items.append(text_block(prose(alert.summary), limit=300, spacing="small"))
    if alert.description:
        items.append(text_block(prose(alert.description), limit=600, size="small",
                                spacing="small", max_lines=6))
    labels = [(k, v) for k, v in sorted(alert.labels.items()) if k not in HIDDEN_LABELS]
    if labels:
        items.append(fact_set(labels[:12], limit=120))
    if alert.silence_id:
        items.append(text_block(f"🔕 Silenced ({alert.silence_id})", size="small",
                                color="warning", spacing="small"))
    links = [open_url_action("Source", alert.generator_url),
             open_url_action("Runbook", alert.runbook_url)]
    silences, fixes = _alert_buttons(alert, buttons, firing)
    for actions in (silences, fixes, [link for link in links if link]):
        if actions:  # separate sets keep titles readable (and within 6 actions per set)
            items.append(action_set(actions, spacing="small"))
    return {"type": "Container", "separator": True, "spacing": "medium", "items": items}


def _timing(alert: AlertItem, now: datetime) -> str:
    if not alert.starts_at:
        return "firing" if alert.status == "firing" else "resolved"
    start = fmt_time(alert.starts_at)
    if alert.status == "resolved":
        end = alert.ends_at or now
        return f"Resolved at {fmt_clock(end)} after {fmt_duration(end - alert.starts_at)}"
    return f"Firing since {start} ({fmt_duration(now - alert.starts_at)})"


def button(title: str, verb: str, action_id: str, *, style: str | None = None) -> Element:
    """Action.Execute carrying only the opaque id, with an Action.Submit fallback (older
    clients) carrying the same data."""
    action = execute_action(title, verb, action_id, style=style)
    action["fallback"] = {"type": "Action.Submit", "title": action["title"],
                          "data": dict(action["data"])}
    return action


def _alert_buttons(
    alert: AlertItem, b: AlertButtons | None, firing: bool
) -> tuple[list[Element], list[Element]]:
    """The silence buttons (or Unsilence), then Reboot / Rollback."""
    silences: list[Element] = []
    fixes: list[Element] = []
    if b is None or not firing:
        return silences, fixes
    if not alert.silence_id:
        for title, action_id in (("Silence 1h", b.silence_1h), ("Silence 4h", b.silence_4h),
                                 ("Silence until resolved", b.silence_until_resolved)):
            if action_id:
                silences.append(button(title, VERB_ALERT_SILENCE, action_id))
    elif b.unsilence:
        silences.append(button("Unsilence", VERB_ALERT_UNSILENCE, b.unsilence))
    if b.reboot:
        fixes.append(button(f"Reboot {b.reboot_target}".strip(), VERB_ALERT_REBOOT, b.reboot,
                            style="destructive"))
    if b.rollback:
        fixes.append(button(f"Rollback {b.rollback_target}".strip(), VERB_ALERT_ROLLBACK,
                            b.rollback, style="destructive"))
    if b.runbook:
        fixes.append(button(f"Run runbook {b.runbook_name}".strip(), VERB_ALERT_RUNBOOK,
                            b.runbook))
    return silences, fixes


def _group_actions(view: AlertGroupView, acknowledge_id: str | None) -> list[Element]:
    actions: list[Element] = []
    if acknowledge_id and view.status == "firing" and not view.acknowledged_by:
        actions.append(button("Acknowledge", VERB_ALERT_ACKNOWLEDGE, acknowledge_id,
                              style="positive"))
    link = open_url_action("Open in Alertmanager", view.external_url)
    if link:
        actions.append(link)
    return actions
