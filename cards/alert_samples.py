"""Sample alert cards: for the tests, the renderer check and the README pictures.

`python -m cards.alert_samples [--readme]` prints {name: card} as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cards import sample_cli
from cards.alerts import AlertButtons, AlertGroupView, AlertItem, alert_card
from cards.common import Card
from cards.samples import HOSTILE_NAMES

AT = datetime(2024, 11, 23, 14, 1, tzinfo=UTC)
AM = "http://alertmanager.example:9093"


def _alert(i: int, severity: str, **extra: object) -> AlertItem:
    node = f"aks-pool1-{i:05d}"
    alert = AlertItem(
        fingerprint=f"fp{i:04d}",
        name="NodeNotReady" if severity != "warning" else "NodeDiskPressure",
        status="firing",
        severity=severity,
        labels={"alertname": "NodeNotReady", "severity": severity, "node": node,
                "cluster": "prod-eu", "team": "platform", "release": "payments-api-2024.11.3"},
        summary=f"Node {node} is not ready",
        description=f"kubelet on {node} stopped posting node status for more than 5 minutes.",
        starts_at=AT - timedelta(minutes=35 - i),
        generator_url=f"http://prometheus.example:9090/graph?g0.expr=up%7Bnode%3D%22{node}%22%7D",
        runbook_url="https://runbooks.example/node-not-ready",
    )
    return replace(alert, **extra)  # type: ignore[arg-type]


def _buttons(i: int) -> AlertButtons:
    return AlertButtons(
        silence_1h=f"act_s1h_{i}.sig", silence_4h=f"act_s4h_{i}.sig",
        silence_until_resolved=f"act_sres_{i}.sig", unsilence=f"act_uns_{i}.sig",
        reboot=f"act_reboot_{i}.sig", reboot_target=f"aks-pool1-{i:05d}",
        rollback=f"act_rb_{i}.sig", rollback_target="payments-api-2024.11.3",
    )


def _view(alerts: list[AlertItem], **extra: object) -> AlertGroupView:
    view = AlertGroupView(
        title="NodeNotReady · prod-eu", source="prod-alertmanager", status="firing",
        alerts=alerts, first_seen=AT - timedelta(minutes=35), now=AT, external_url=AM,
    )
    return replace(view, **extra)  # type: ignore[arg-type]


def _three() -> list[AlertItem]:
    return [_alert(0, "critical"), _alert(1, "warning", silence_id="7f3a9c2e-1d4b"),
            _alert(2, "critical")]


def alert_firing() -> Card:
    alerts = _three()
    return alert_card(_view(alerts), acknowledge_id="act_ack.sig",
                      buttons={a.fingerprint: _buttons(i) for i, a in enumerate(alerts)})


def alert_acknowledged() -> Card:
    alerts = _three()
    view = _view(alerts, acknowledged_by="Ada Lovelace", acknowledged_at=AT - timedelta(minutes=2))
    return alert_card(view, acknowledge_id="act_ack.sig",
                      buttons={a.fingerprint: _buttons(i) for i, a in enumerate(alerts)})


def alert_resolved() -> Card:
    end = AT + timedelta(minutes=17)
    alerts = [replace(a, status="resolved", ends_at=end, silence_id="") for a in _three()]
    view = _view(alerts, status="resolved", resolved_at=end, now=end,
                 acknowledged_by="Ada Lovelace", acknowledged_at=AT - timedelta(minutes=2))
    return alert_card(view, acknowledge_id="act_ack.sig",
                      buttons={a.fingerprint: _buttons(i) for i, a in enumerate(alerts)})


def alert_many() -> Card:
    alerts = [_alert(i, ("warning", "critical", "info")[i % 3], description="D" * 5_000)
              for i in range(600)]
    return alert_card(_view(alerts, truncated=40), acknowledge_id="act_ack.sig",
                      buttons={a.fingerprint: _buttons(i) for i, a in enumerate(alerts)})


def alert_generic() -> Card:
    alert = AlertItem(fingerprint="g1", name="Backup job failed", status="firing",
                      severity="error", labels={"job": "nightly-backup", "host": "db-3"},
                      summary="pg_dump exited 1", starts_at=AT - timedelta(minutes=3))
    return alert_card(_view([alert], title="Backup job failed", source="cron-scripts",
                            external_url=""), acknowledge_id="act_ack.sig")


def alert_hostile() -> Card:
    alerts = [AlertItem(fingerprint=f"h{i}", name=name, status="firing", severity=name,
                        labels={name: name, "node": name}, summary=name, description=name,
                        starts_at=AT, generator_url="javascript:alert(1)",
                        runbook_url=name, silence_id=name if i == 0 else "")
              for i, name in enumerate(HOSTILE_NAMES)]
    view = _view(alerts, title=HOSTILE_NAMES[0], source=HOSTILE_NAMES[1],
                 acknowledged_by=HOSTILE_NAMES[2], acknowledged_at=AT,
                 external_url="http://evil.example/ x")
    return alert_card(view, acknowledge_id="act_ack.sig",
                      buttons={a.fingerprint: AlertButtons(reboot="act_r.sig",
                                                           reboot_target=a.name)
                               for a in alerts})


SAMPLES: dict[str, Callable[[], Card]] = {
    "alert_firing": alert_firing,
    "alert_acknowledged": alert_acknowledged,
    "alert_resolved": alert_resolved,
    "alert_many": alert_many,
    "alert_generic": alert_generic,
    "alert_hostile": alert_hostile,
}
README_SAMPLES = ("alert_firing", "alert_acknowledged", "alert_resolved")


def build(names: tuple[str, ...] | None = None) -> dict[str, Card]:
    return sample_cli.build(SAMPLES, names)


def main(argv: list[str] | None = None) -> None:
    sample_cli.main(SAMPLES, README_SAMPLES, __doc__, argv)


if __name__ == "__main__":
    main()
